package dev.walden.agent.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SegmentSetTest {

    @Test
    void agreesWithASortedSetWhateverTheOrderOfArrival() {
        List<Long> segments = new ArrayList<>();
        for (long s = 1; s < 20_000; s++) {
            if (s % 997 != 0) {
                segments.add(s);
            }
        }
        segments.add(1L << 40);  // far away: a chunk of its own
        segments.add(4095L);
        Collections.shuffle(segments, new Random(7));  // a directory walk's order
        SegmentSet set = new SegmentSet();
        TreeSet<Long> expected = new TreeSet<>();
        for (long s : segments) {
            set.add(s);
            expected.add(s);
        }
        assertEquals(expected.size(), set.size());
        assertEquals(expected.last(), set.last());
        for (long s = 0; s < 21_000; s++) {
            assertEquals(expected.contains(s), set.contains(s), "segment " + s);
            Long next = expected.ceiling(s);
            assertEquals(next == null ? -1 : next, set.nextAtOrAfter(s), "after " + s);
        }
        assertEquals(1L << 40, set.nextAtOrAfter(20_000));
        assertEquals(-1, set.nextAtOrAfter((1L << 40) + 1));
        assertFalse(set.contains(-1));
    }

    @Test
    void anEmptySetHasNothing() {
        SegmentSet set = new SegmentSet();
        assertTrue(set.isEmpty());
        assertEquals(-1, set.nextAtOrAfter(0));
    }
}
