package dev.walden.agent.verify;

import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.backup.Manifest;
import dev.walden.agent.backup.ManifestCheck;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.ManifestReader;
import dev.walden.agent.backup.PathOrder;
import dev.walden.agent.backup.ParallelFiles;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.repository.WalArchive;
import dev.walden.agent.retention.RetentionPolicy;
import dev.walden.agent.retention.RetentionRules;
import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.SegmentSet;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code walden verify}: checks that what the catalog promises can be restored (docs/runbook.md "Verify"): WAL
 * continuity on every timeline where the recovery window needs it, each backup's own WAL, timeline histories, every
 * object (authenticated, decompressed and checked against its checksum, or with {@code --quick} only present and of
 * the right size) and every manifest against the objects it points into. Reads; never writes, except its report.
 */
public final class Verifier {
    private static final int MESSAGES_PER_OBJECT = 5;

    private final BaseBackups backups;
    private final FetchPipeline fetch;
    private final RetentionPolicy policy;
    private final int threads;
    private final Clock clock;
    private final java.time.Duration allEvery;

    /** @param allEvery how often a full verify reads every object again, not only those stored since the last pass */
    public Verifier(BaseBackups backups, FetchPipeline fetch, RetentionPolicy policy, int threads, java.time.Duration allEvery,
                    Clock clock) {
        this.backups = backups;
        this.allEvery = allEvery;
        this.fetch = fetch;
        this.policy = policy;
        this.threads = threads;
        this.clock = clock;
    }

    /**
     * Runs every check; never throws for what it finds, which is in the report, nor for storage failures (exit code 2).
     *
     * @param all read every object, even those an earlier verify read whole (objects are never rewritten, so a full
     *            verify otherwise reads only what was stored since the last one that found everything whole, and every
     *            object once per {@code verify-all-days})
     */
    public VerifyReport run(boolean quick, boolean all, Consumer<String> progress, BooleanSupplier cancelled) {
        Instant started = clock.instant();
        Run run = new Run(quick, all, progress, cancelled);
        String repository = "?";
        Optional<String> error = Optional.empty();
        Optional<String> system = Optional.empty();
        try {
            repository = backups.objects().describe();
            Optional<BackupCatalog> catalog = backups.catalog();
            if (catalog.isPresent()) {
                system = Optional.of(Long.toUnsignedString(catalog.get().systemIdentifier()));
                run.check(catalog.get());
            }
        } catch (IOException e) {
            error = Optional.of("could not check: the repository failed: " + e.getMessage()
                    + ". HINT: check that the repository is reachable (walden ping, the agent's log), then verify again");
        } catch (RepositoryFormatException e) {
            error = Optional.of("could not check: " + e.getMessage());
        } catch (Cancelled e) {
            error = Optional.of("could not check: cancelled before the end");
        }
        if (error.isEmpty() && run.backupCount == 0) {
            // An archive with no complete backup cannot restore anything: never "everything holds".
            run.problem("no-backup", null, List.of(), "the repository holds no complete backup, so nothing can be restored from"
                    + " it" + (run.walCount > 0 ? " (its " + run.walCount + " WAL files need a base backup to start from)" : "")
                    + ". HINT: walden backup");
        }
        run.summarizeOverflow();
        VerifyReport report = new VerifyReport(started, clock.instant(), quick, run.readSince, repository, system,
                new VerifyReport.Counts(run.backupCount, run.walCount, run.objects.get(), run.bytesRead.get(), run.timelineCount,
                        run.unchanged.get()),
                run.problems, error);
        return report;
    }

    private static final class Cancelled extends Exception {}

    /** The state of one verify run. */
    private final class Run {
        final boolean quick;
        final boolean all;
        /** Objects stored before this, and used only by backups that ended before it, were read whole by an earlier verify. */
        Optional<Instant> readSince = Optional.empty();
        final AtomicInteger unchanged = new AtomicInteger();
        final Consumer<String> progress;
        final BooleanSupplier cancelled;
        final List<VerifyReport.Problem> problems = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger objects = new AtomicInteger();
        final AtomicLong bytesRead = new AtomicLong();
        int backupCount;
        int walCount;
        int timelineCount;
        /** The archive being checked, set when the check begins. */
        WalArchive archive;
        /** WAL the pg_wal guard dropped, as recorded in the repository. */
        List<dev.walden.agent.guard.WalGap> dropped = List.of();

        Run(boolean quick, boolean all, Consumer<String> progress, BooleanSupplier cancelled) {
            this.quick = quick;
            this.all = all;
            this.progress = progress;
            this.cancelled = cancelled;
        }

        void problem(String kind, String object, List<String> affected, String message) {
            add(VerifyReport.Problem.of(kind, object, affected, message));
        }

        /**
         * Problems listed per kind: beyond that (every object unreadable under a wrong key, a gap at every other
         * segment), the rest are counted, so that a report of a damaged archive of any size stays one screen of memory.
         */
        static final int PROBLEMS_PER_KIND = 1000;
        final Map<String, AtomicInteger> problemsByKind = new java.util.concurrent.ConcurrentHashMap<>();

        void add(VerifyReport.Problem problem) {
            if (problemsByKind.computeIfAbsent(problem.kind(), k -> new AtomicInteger()).incrementAndGet() <= PROBLEMS_PER_KIND) {
                problems.add(problem);
            }
        }

        /** One line per kind that had more problems than were listed. */
        void summarizeOverflow() {
            new TreeMap<>(problemsByKind).forEach((kind, count) -> {
                if (count.get() > PROBLEMS_PER_KIND) {
                    problems.add(VerifyReport.Problem.of(kind, null, List.of(), (count.get() - PROBLEMS_PER_KIND) + " more problems of"
                            + " kind " + kind + " were found and not listed (" + count.get() + " in all; the first "
                            + PROBLEMS_PER_KIND + " are above). HINT: when every object is damaged, check encryption-key-file"
                            + " first: a wrong key makes every object unreadable"));
                }
            });
        }

        /** Whether an object stored at {@code storedAt} was read whole by an earlier verify (never, when the store gives no time). */
        boolean readBefore(Optional<Instant> storedAt) {
            return readSince.isPresent() && storedAt.isPresent() && storedAt.get().isBefore(readSince.get());
        }

        void check(BackupCatalog catalog) throws IOException, Cancelled {
            long system = catalog.systemIdentifier();
            if (!quick && !all) {
                try {
                    readSince = new VerifyResults(catalog.objects(), system).readSince(clock.instant(), allEvery);
                } catch (CorruptObjectException | VerifyJson.FormatException unreadable) {
                    readSince = Optional.empty();  // read everything: no earlier pass can be vouched for
                }
            }
            archive = catalog.wal();
            dropped = dev.walden.agent.guard.WalGap.recorded(catalog.objects(), system);
            BackupCatalog.Listing listing;
            try {
                listing = catalog.list();
            } catch (BackupCatalog.CatalogException e) {
                problem("catalog", null, List.of(), e.getMessage() + "; the backups' own checks were skipped. HINT: restore from"
                        + " another copy of the repository, or remove the damaged backup's objects");
                listing = new BackupCatalog.Listing(List.of(), List.of());
            }
            for (BackupCatalog.Unusable unusable : listing.unusable()) {
                problem(unusable.uncommitted() ? "backup-uncommitted" : "backup-unusable", null, List.of(unusable.id()),
                        "backup " + unusable.id() + " cannot be restored: " + unusable.reason());
            }
            List<BackupSummary> complete = listing.complete();
            backupCount = complete.size();
            long segmentSize = complete.isEmpty() ? 16L << 20 : complete.get(0).walSegmentSize();

            // The WAL listing is streamed, after the catalog's (a backup listed has all its WAL archived by then), and
            // leaves a bit per segment (SegmentSet) and the few history files; in full mode a second pass reads the
            // objects, a batch at a time, so nothing held grows with the archive.
            Map<Long, SegmentSet> segments = new TreeMap<>();
            List<WalArchive.ArchivedWal> historyFiles = new ArrayList<>();
            int[] toRead = {0};
            archive.forEach(w -> {
                walCount++;
                if (w.name().kind() == WalFileKind.TIMELINE_HISTORY) {
                    historyFiles.add(w);
                } else if (w.name().kind().hasWalPages()) {
                    segments.computeIfAbsent(w.name().timeline(), t -> new SegmentSet()).add(w.name().segmentNumber(segmentSize));
                }
                if (quick) {
                    objects.incrementAndGet();
                    if (w.storedBytes() < 16) {
                        problem("object-size", archive.key(w.name()), List.of(), w.name().name() + " is " + w.storedBytes() + " bytes: truncated");
                    }
                } else if (w.name().kind() != WalFileKind.TIMELINE_HISTORY) {
                    if (readBefore(w.storedAt())) {
                        objects.incrementAndGet();
                        unchanged.incrementAndGet();
                    } else {
                        toRead[0]++;
                    }
                }
            });

            Map<Long, TimelineHistory> histories = histories(historyFiles);
            timelineCount = Math.max(segments.size(), histories.size());
            // Each timeline's branch point against the WAL its parent holds: recovery onto the child replays the parent
            // up to the switch point, so the parent's archive must reach the segment before it (a drill would fail).
            for (TimelineHistory child : histories.values()) {
                if (child.ancestors().isEmpty()) {
                    continue;
                }
                TimelineHistory.Entry parent = child.ancestors().get(child.ancestors().size() - 1);
                SegmentSet parentSegments = segments.get(parent.timeline());
                long needLast = Long.divideUnsigned(parent.switchLsn(), segmentSize) - 1;
                if (parentSegments != null && !parentSegments.isEmpty() && parentSegments.last() < needLast) {
                    String held = dev.walden.agent.backup.Lsn.segmentName(parent.timeline(), parentSegments.last(), segmentSize);
                    String needed = dev.walden.agent.backup.Lsn.segmentName(parent.timeline(), needLast, segmentSize);
                    problem("timeline-branch", null, List.of(), String.format("timeline %d branched from timeline %d at %s, but"
                            + " timeline %d's archive ends at %s (it needs up to %s): recovery onto timeline %d from a backup on"
                            + " timeline %d stops short. HINT: a timeline whose parent WAL is gone came from a restore that"
                            + " archived its own history; restores follow the live primary's timeline (walden restore"
                            + " --target-timeline %d); runbook, \"A stray timeline\"", child.timeline(), parent.timeline(),
                            new dev.walden.agent.backup.Lsn(parent.switchLsn()), parent.timeline(), held, needed, child.timeline(),
                            parent.timeline(), parent.timeline()));
                }
            }
            backups.strayTimeline(system).ifPresent(t -> problem("timeline-foreign", null, List.of(), String.format("timeline %d"
                    + " (%08X.history) is in the archive, but the live primary is on timeline %d and never had it: another cluster"
                    + " archived it, such as a promoted test restore that kept archiving. Restores and drills follow the primary's"
                    + " timeline; recovery_target_timeline = 'latest' would follow this one. HINT: stop whatever archives it;"
                    + " restore tests with the default --archive-mode off", t.stray(), t.stray(), t.live())));
            for (long timeline : segments.keySet()) {
                if (timeline > 1 && !histories.containsKey(timeline)) {
                    problem("timeline-history", null, List.of(), String.format("timeline %d has WAL but no %08X.history in the"
                            + " archive, so recovery cannot follow it. HINT: archive it from the server's pg_wal", timeline, timeline));
                }
            }
            java.util.function.Function<Long, TimelineHistory> history = t -> histories.getOrDefault(t, TimelineHistory.root(t));
            backupWal(complete, segments, segmentSize);
            continuity(complete, segments, segmentSize, history);
            if (toRead[0] > 0) {
                readWal(system, segmentSize, toRead[0]);
            }
            backups(catalog, complete);
            dumps(new dev.walden.agent.logical.DumpCatalog(catalog.objects(), system));
        }

        /** Every complete logical dump's object: present and, in full mode, read whole and of the length pg_dump wrote. */
        void dumps(dev.walden.agent.logical.DumpCatalog dumps) throws IOException, Cancelled {
            List<dev.walden.agent.logical.DumpRecord> complete;
            try {
                complete = dumps.list().complete();
            } catch (CorruptObjectException e) {
                problem("catalog", null, List.of(), "the dump catalog cannot be read: " + e.getMessage());
                return;
            }
            Map<String, Storage.StoredObject> stored = new HashMap<>();
            dumps.forEachDataObject(o -> stored.put(o.key(), o));
            List<dev.walden.agent.logical.DumpRecord> toRead = new ArrayList<>();
            for (dev.walden.agent.logical.DumpRecord d : complete) {
                String key = dumps.dataKeyOf(d.id());
                Storage.StoredObject object = stored.get(key);
                if (object == null) {
                    problem("object-missing", key, List.of(d.id()), key + " is missing: dump " + d.id() + " cannot be restored");
                } else if (object.size() != d.storedBytes()) {
                    problem("object-size", key, List.of(d.id()), key + " is " + object.size() + " bytes but was stored as " + d.storedBytes()
                            + ": dump " + d.id() + " cannot be restored");
                } else if (quick) {
                    objects.incrementAndGet();
                } else if (readBefore(object.storedAt())) {
                    objects.incrementAndGet();
                    unchanged.incrementAndGet();
                } else {
                    toRead.add(d);
                }
            }
            parallel("walden-verify-dump", toRead, d -> {
                String key = dumps.dataKeyOf(d.id());
                long length;
                try {
                    length = dumps.verifyData(d.id());
                } catch (CorruptObjectException e) {
                    problem("object-damaged", key, List.of(d.id()), key + " is damaged: " + e.getMessage() + "; dump " + d.id()
                            + " cannot be restored");
                    return;
                } catch (ObjectNotFoundException expiredMeanwhile) {
                    return;
                }
                if (length != d.bytes()) {
                    problem("manifest-mismatch", key, List.of(d.id()), key + " holds " + length + " bytes, but pg_dump wrote " + d.bytes());
                }
                objects.incrementAndGet();
                bytesRead.addAndGet(d.storedBytes());
            }, () -> "verify: dumps");
        }

        Map<Long, TimelineHistory> histories(List<WalArchive.ArchivedWal> wal) {
            Map<Long, TimelineHistory> histories = new TreeMap<>();
            for (WalArchive.ArchivedWal w : wal) {
                if (w.name().kind() != WalFileKind.TIMELINE_HISTORY) {
                    continue;
                }
                try {
                    Optional<byte[]> bytes = fetch.readSmall(w.name());
                    objects.incrementAndGet();
                    bytesRead.addAndGet(w.storedBytes());
                    if (bytes.isPresent()) {
                        histories.put(w.name().timeline(), TimelineHistory.parse(w.name().timeline(),
                                new String(bytes.get(), StandardCharsets.UTF_8)));
                    }
                } catch (CorruptObjectException e) {
                    problem("object-damaged", archive.key(w.name()), List.of(), w.name().name() + " is damaged: " + e.getMessage());
                } catch (IllegalArgumentException e) {
                    problem("timeline-history", archive.key(w.name()), List.of(), w.name().name() + " cannot be parsed: " + e.getMessage());
                } catch (IOException | RepositoryFormatException e) {
                    problem("timeline-history", archive.key(w.name()), List.of(), w.name().name() + " cannot be read: " + e.getMessage());
                }
            }
            for (TimelineHistory h : histories.values()) {
                long previousTimeline = 0;
                long previousSwitch = 0;
                for (TimelineHistory.Entry e : h.ancestors()) {
                    if (e.timeline() <= previousTimeline || e.timeline() >= h.timeline()
                            || Long.compareUnsigned(e.switchLsn(), previousSwitch) < 0) {
                        problem("timeline-history", null, List.of(), String.format("%08X.history is inconsistent: its entries must"
                                + " name older timelines in rising order with rising switch points", h.timeline()));
                        break;
                    }
                    previousTimeline = e.timeline();
                    previousSwitch = e.switchLsn();
                }
                if (h.ancestors().isEmpty()) {
                    continue;
                }
                long parent = h.ancestors().get(h.ancestors().size() - 1).timeline();
                if (parent > 1) {
                    TimelineHistory parentHistory = histories.get(parent);
                    if (parentHistory == null) {
                        problem("timeline-history", null, List.of(), String.format("%08X.history names timeline %d as its parent,"
                                + " but %08X.history is not archived", h.timeline(), parent, parent));
                    } else if (!parentHistory.ancestors().equals(h.ancestors().subList(0, h.ancestors().size() - 1))) {
                        problem("timeline-history", null, List.of(), String.format("%08X.history disagrees with %08X.history about"
                                + " the timelines before %d", h.timeline(), parent, parent));
                    }
                }
            }
            return histories;
        }

        /** Every complete backup's own WAL, from its start to its stop, must be archived. */
        void backupWal(List<BackupSummary> complete, Map<Long, SegmentSet> segments, long segmentSize) {
            for (BackupSummary b : complete) {
                long first = Long.divideUnsigned(b.startLsn().value(), segmentSize);
                long last = Long.divideUnsigned(b.stopLsn().value() - 1, segmentSize);
                SegmentSet present = segments.getOrDefault(b.timeline(), new SegmentSet());
                List<Long> missing = new ArrayList<>();
                for (long s = first; s <= last; s++) {
                    if (!present.contains(s)) {
                        missing.add(s);
                    }
                }
                if (!missing.isEmpty()) {
                    String from = Lsn.segmentName(b.timeline(), missing.get(0), segmentSize);
                    String to = Lsn.segmentName(b.timeline(), missing.get(missing.size() - 1), segmentSize);
                    add(new VerifyReport.Problem("backup-wal-missing", Optional.empty(), List.of(b.id()), Optional.of(from),
                            Optional.of(to), "backup " + b.id() + " cannot be restored: " + missing.size() + " of the WAL files it needs ("
                            + b.walStart() + " .. " + b.walStop() + ") are missing, " + from + (from.equals(to) ? "" : " .. " + to)
                            + ". HINT: take a new backup; keep this one only for its data files"));
                }
            }
        }

        /**
         * The recovery window needs unbroken WAL from the start of its first backup to the newest archived segment,
         * on that backup's timeline and every timeline descending from it.
         */
        void continuity(List<BackupSummary> complete, Map<Long, SegmentSet> segments, long segmentSize,
                        java.util.function.Function<Long, TimelineHistory> history) {
            if (complete.isEmpty()) {
                return;
            }
            BackupSummary anchor = RetentionRules.windowAnchor(policy, clock.instant(), complete).orElseThrow();
            Instant anchorStopped = anchor.stopped();
            List<BackupSummary> window = complete.stream().filter(b -> !b.stopped().isBefore(anchorStopped)).toList();
            for (var entry : segments.entrySet()) {
                long timeline = entry.getKey();
                SegmentSet present = entry.getValue();
                TimelineHistory h = history.apply(timeline);
                List<BackupSummary> onHistory = complete.stream().filter(b -> h.contains(b.timeline(), b.startLsn().value())).toList();
                Optional<Long> from = window.stream().filter(onHistory::contains)
                        .map(b -> Long.divideUnsigned(b.startLsn().value(), segmentSize)).min(Long::compare);
                if (from.isEmpty()) {
                    continue;  // no backup of the window recovers onto this timeline
                }
                long begin = h.ancestors().isEmpty() ? 0 : Long.divideUnsigned(h.ancestors().get(h.ancestors().size() - 1).switchLsn(), segmentSize);
                long first = Math.max(from.get(), begin);
                long last = present.last();
                // Segment by segment through what is there, and from each hole straight to the next present segment,
                // so that a stray segment far ahead costs one step, not one per missing number.
                for (long s = first; s <= last; ) {
                    if (present.contains(s)) {
                        s++;
                    } else {
                        long next = present.nextAtOrAfter(s);  // exists: the last segment is present
                        gap(timeline, s, next - 1, onHistory, segmentSize);
                        s = next;
                    }
                }
            }
        }

        void gap(long timeline, long first, long last, List<BackupSummary> onHistory, long segmentSize) {
            Optional<dev.walden.agent.guard.WalGap> droppedHere = dropped.stream()
                    .filter(g -> g.segmentSize() == segmentSize && g.covers(timeline, first, last)).findFirst();
            if (droppedHere.isPresent()) {
                dev.walden.agent.guard.WalGap gap = droppedHere.get();
                // A known, recorded loss: the recovery window restarts at the first full backup taken after it.
                boolean fullSince = onHistory.stream().anyMatch(b -> b.type() == dev.walden.agent.backup.BackupType.FULL
                        && b.started().isAfter(gap.droppedTo()));
                if (!fullSince) {
                    add(new VerifyReport.Problem("wal-dropped", Optional.empty(), List.of(), Optional.of(gap.first()),
                            Optional.of(gap.last()), gap.describe() + ": point-in-time recovery cannot pass it, and no full backup"
                            + " has been taken since. HINT: the agent starts one once archiving works again; or walden backup --type full"));
                }
                return;
            }
            String from = Lsn.segmentName(timeline, first, segmentSize);
            String to = Lsn.segmentName(timeline, last, segmentSize);
            List<String> broken = new ArrayList<>();
            List<String> stopped = new ArrayList<>();
            Optional<BackupSummary> resumes = Optional.empty();
            for (BackupSummary b : onHistory) {
                long bFirst = Long.divideUnsigned(b.startLsn().value(), segmentSize);
                long bLast = Long.divideUnsigned(b.stopLsn().value() - 1, segmentSize);
                if (bFirst <= last && bLast >= first) {
                    broken.add(b.id());
                } else if (bLast < first) {
                    stopped.add(b.id());
                } else if (resumes.isEmpty()) {
                    resumes = Optional.of(b);
                }
            }
            List<String> affected = new ArrayList<>(broken);
            affected.addAll(stopped);
            String message = "timeline " + timeline + ": WAL " + from + (first == last ? "" : " .. " + to) + " is missing ("
                    + (last - first + 1) + " file" + (last == first ? "" : "s") + "): point-in-time recovery cannot pass " + from
                    + (stopped.isEmpty() ? "" : "; recovery from backups " + String.join(", ", stopped) + " stops there")
                    + (broken.isEmpty() ? "" : "; backups " + String.join(", ", broken) + " cannot be restored at all")
                    + resumes.map(b -> "; the recovery window resumes at the end of backup " + b.id()).orElse(
                            "; no backup after the gap: take a backup now to restore a recovery window")
                    + ". HINT: if the files are still in the server's pg_wal, archive them again with walden push";
            add(new VerifyReport.Problem("wal-gap", Optional.empty(), affected, Optional.of(from), Optional.of(to), message));
        }

        /** WAL objects read whole per batch of the second listing pass: a batch is what a full verify holds of the archive. */
        static final int WAL_READ_BATCH = 512;

        /** Full mode: reads every WAL segment (not history) that no earlier verify read, as a second listing streams. */
        void readWal(long system, long segmentSize, int total) throws IOException, Cancelled {
            AtomicInteger done = new AtomicInteger();
            List<WalArchive.ArchivedWal> batch = new ArrayList<>(WAL_READ_BATCH);
            archive.<Cancelled>forEach(w -> {
                if (w.name().kind() == WalFileKind.TIMELINE_HISTORY || readBefore(w.storedAt())) {
                    return;
                }
                batch.add(w);
                if (batch.size() == WAL_READ_BATCH) {
                    readWalBatch(system, batch, segmentSize, done, total);
                }
            });
            readWalBatch(system, batch, segmentSize, done, total);
        }

        private void readWalBatch(long system, List<WalArchive.ArchivedWal> batch, long segmentSize, AtomicInteger done, int total)
                throws IOException, Cancelled {
            try {
                parallel("walden-verify-wal", List.copyOf(batch), w -> {
                    try {
                        long length = fetch.verify(system, w.name());
                        if (w.name().kind() == WalFileKind.SEGMENT && length != segmentSize) {
                            problem("object-size", archive.key(w.name()), List.of(), w.name().name() + " holds " + length + " bytes, not a "
                                    + segmentSize + "-byte segment");
                        }
                    } catch (CorruptObjectException e) {
                        problem("object-damaged", archive.key(w.name()), List.of(), w.name().name() + " is damaged: " + e.getMessage()
                                + ". HINT: if the server still has it in pg_wal, remove the object and archive it again");
                    } catch (ObjectNotFoundException expiredMeanwhile) {
                        return;
                    }
                    objects.incrementAndGet();
                    bytesRead.addAndGet(w.storedBytes());
                    done.incrementAndGet();
                }, () -> "verify: WAL " + done.get() + " of " + total + " files read");
            } finally {
                batch.clear();
            }
        }

        /**
         * Files, or bytes of files, of a manifest whose objects are checked together: what a verify holds of one backup
         * (a large file's block map is 1/8192 of its size, so a window of 4 GiB holds some 512 KiB of maps).
         */
        static final int WINDOW_FILES = 4000;
        static final long WINDOW_BYTES = 4L << 30;

        /**
         * Every complete backup, one at a time, its manifest read as a stream: each of its own objects present, of the
         * size stored, and (in full mode) read whole and checked against the files the manifest places in it; every file
         * it takes from an older backup must be where that backup's manifest has it (a sorted merge with the parent's
         * manifest), so that, backup by backup, every reference resolves to data that was checked.
         */
        void backups(BackupCatalog catalog, List<BackupSummary> complete) throws IOException, Cancelled {
            Map<String, BackupSummary> byId = new HashMap<>();
            complete.forEach(b -> byId.put(b.id(), b));
            String prefix = Long.toUnsignedString(catalog.systemIdentifier()) + "/backup/";
            // Each manifest is fetched once: one that incrementals still to be checked build on stays in the spool until
            // the last of them has been merged with it (parents stop before their children, so come first).
            Map<String, Integer> children = new HashMap<>();
            complete.forEach(b -> b.parent().ifPresent(p -> children.merge(p, 1, Integer::sum)));
            Map<String, BackupCatalog.LocalManifest> parents = new HashMap<>();
            try {
                for (BackupSummary b : complete) {
                    String manifestKey = prefix + b.id() + "/manifest";
                    // Those whose restore needs this backup's objects: itself and the incrementals built on it.
                    List<String> affected = complete.stream().filter(o -> o.references().contains(b.id())).map(BackupSummary::id).toList();
                    Map<String, Storage.StoredObject> stored = new HashMap<>();
                    catalog.forEachObjectOf(b.id(), o -> stored.put(o.key(), o));
                    BackupCatalog.LocalManifest local = null;
                    try {
                        local = catalog.fetchManifest(b.id());
                        // A parent whose own manifest could not be read was reported as such; the merge is then skipped.
                        BackupCatalog.LocalManifest parent = b.parent().map(parents::get).orElse(null);
                        try (ManifestReader manifest = local.open();
                             ManifestReader parentManifest = parent == null ? null : parent.open()) {
                            objects.incrementAndGet();
                            bytesRead.addAndGet(stored.containsKey(manifestKey) ? stored.get(manifestKey).size() : 0);
                            backup(catalog, b, manifest, parentManifest, affected, byId, stored);
                        }
                    } catch (BackupCatalog.CatalogException | ManifestJson.FormatException e) {
                        boolean missing = !stored.containsKey(manifestKey);
                        problem(missing ? "manifest-missing" : "manifest-damaged", manifestKey, List.of(b.id()), "backup " + b.id()
                                + " cannot be restored: " + e.getMessage() + ". HINT: take a new backup; walden expire removes this"
                                + " one once retention lets it go");
                    } finally {
                        if (local != null && children.getOrDefault(b.id(), 0) > 0) {
                            parents.put(b.id(), local);
                        } else if (local != null) {
                            local.close();
                        }
                        if (b.parent().isPresent() && children.merge(b.parent().get(), -1, Integer::sum) == 0) {
                            BackupCatalog.LocalManifest done = parents.remove(b.parent().get());
                            if (done != null) {
                                done.close();
                            }
                        }
                    }
                }
            } finally {
                for (BackupCatalog.LocalManifest left : parents.values()) {
                    left.close();
                }
            }
        }

        private void backup(BackupCatalog catalog, BackupSummary b, ManifestReader manifest, ManifestReader parentManifest,
                            List<String> affected, Map<String, BackupSummary> byId, Map<String, Storage.StoredObject> stored)
                throws IOException, Cancelled, ManifestJson.FormatException {
            String manifestKey = Long.toUnsignedString(catalog.systemIdentifier()) + "/backup/" + b.id() + "/manifest";
            Manifest.Header header = manifest.header();
            if (!header.summary().id().equals(b.id()) || !header.summary().startLsn().equals(b.startLsn())
                    || !header.summary().stopLsn().equals(b.stopLsn())) {
                problem("manifest-mismatch", manifestKey, List.of(b.id()), "the manifest of backup " + b.id()
                        + " does not describe the backup its commit record names");
            }
            ManifestCheck check = new ManifestCheck(header);
            Map<String, Manifest.DataObject> recorded = new HashMap<>();
            for (Manifest.DataObject o : header.objects()) {
                recorded.put(catalog.dataKey(b.id(), o.number()), o);
            }
            Set<String> referenced = new TreeSet<>();
            Set<String> checked = new HashSet<>();
            Map<String, List<RegionCheck.Region>> window = new LinkedHashMap<>();
            int windowFiles = 0;
            long windowBytes = 0;
            Manifest.FileEntry parentEntry = parentManifest == null ? null : parentManifest.next();
            int inherited = 0;
            for (Manifest.FileEntry f = manifest.next(); f != null; f = manifest.next()) {
                check.file(f);
                String ownKey = !f.blocks().isPresent() && f.object() >= 0 && f.backup().equals(b.id())
                        ? catalog.dataKey(b.id(), f.object()) : null;
                if ((windowFiles >= WINDOW_FILES || windowBytes >= WINDOW_BYTES) && (ownKey == null || !window.containsKey(ownKey))) {
                    objects(catalog, b, window, recorded, affected, byId, stored, checked);  // an object is never split
                    window.clear();
                    windowFiles = 0;
                    windowBytes = 0;
                }
                windowFiles++;
                windowBytes += f.size();
                boolean inherits = false;
                if (f.blocks().isPresent()) {
                    Manifest.Blocks blocks = f.blocks().get();
                    for (Manifest.Part part : blocks.parts()) {
                        referenced.add(part.backup());
                        if (part.backup().equals(b.id())) {
                            window.computeIfAbsent(catalog.dataKey(b.id(), part.object()), k -> new ArrayList<>()).add(
                                    new RegionCheck.BlockRegion(b.id(), f.path(), part.offset(), f.size(), part.first(), part.count(), blocks));
                        } else {
                            inherits = true;
                        }
                    }
                } else if (f.object() >= 0) {
                    referenced.add(f.backup());
                    if (ownKey != null) {
                        window.computeIfAbsent(ownKey, k -> new ArrayList<>()).add(new RegionCheck.FileRegion(b.id(), f.path(), f.offset(),
                                f.size(), f.sha256()));
                    } else {
                        inherits = true;
                    }
                }
                if (inherits && parentManifest != null) {
                    while (parentEntry != null && PathOrder.compare(parentEntry.path(), f.path()) < 0) {
                        parentEntry = parentManifest.next();
                    }
                    Manifest.FileEntry before = parentEntry != null && parentEntry.path().equals(f.path()) ? parentEntry : null;
                    if (!Inheritance.asRecorded(f, before, b.id()) && inherited++ < MESSAGES_PER_OBJECT) {
                        problem("manifest-mismatch", manifestKey, affected, "backup " + b.id() + "'s file " + f.path() + " takes data"
                                + " from an older backup that its parent " + parentManifest.header().summary().id() + " does not have"
                                + " there; backup " + b.id() + " cannot be restored");
                    }
                }
            }
            objects(catalog, b, window, recorded, affected, byId, stored, checked);
            Map<String, List<RegionCheck.Region>> unreferenced = new LinkedHashMap<>();
            recorded.keySet().stream().filter(key -> !checked.contains(key)).sorted().forEach(key -> unreferenced.put(key, List.of()));
            objects(catalog, b, unreferenced, recorded, affected, byId, stored, checked);
            for (String unsound : check.problems()) {
                problem("manifest-unsound", manifestKey, List.of(b.id()), "backup " + b.id() + " cannot be restored: its manifest"
                        + " is not one Walden wrote: " + unsound);
            }
            for (String other : referenced) {
                if (!byId.containsKey(other)) {
                    problem("manifest-mismatch", manifestKey, List.of(b.id()), "backup " + b.id() + " reads objects of backup "
                            + other + ", which is not complete (expired or interrupted): it cannot be restored");
                } else if (!b.references().contains(other)) {
                    problem("manifest-mismatch", manifestKey, List.of(b.id()), "backup " + b.id() + " reads objects of backup "
                            + other + " but its commit record does not list it, so retention could expire it");
                }
            }
        }

        /** A window of one backup's own objects: present, of their stored size, and in full mode read and checked. */
        private void objects(BackupCatalog catalog, BackupSummary b, Map<String, List<RegionCheck.Region>> regions,
                             Map<String, Manifest.DataObject> recorded, List<String> affected, Map<String, BackupSummary> byId,
                             Map<String, Storage.StoredObject> stored, Set<String> checked) throws IOException, Cancelled {
            String prefix = Long.toUnsignedString(catalog.systemIdentifier()) + "/backup/";
            List<String> toRead = new ArrayList<>();
            for (String key : regions.keySet()) {
                checked.add(key);
                Storage.StoredObject object = stored.get(key);
                if (object == null) {
                    problem("object-missing", key, affected, key + " is missing; it holds data of backup"
                            + (affected.size() == 1 ? " " : "s ") + String.join(", ", affected) + ", which cannot be restored");
                    continue;
                }
                Manifest.DataObject expected = recorded.get(key);
                if (expected != null && expected.storedBytes() != object.size()) {
                    problem("object-size", key, affected, key + " is " + object.size() + " bytes but was stored as " + expected.storedBytes()
                            + " (truncated or replaced); backups " + String.join(", ", affected) + " cannot be restored");
                    continue;
                }
                if (quick) {
                    objects.incrementAndGet();
                } else if (readBefore(object.storedAt()) && readBefore(Optional.of(b.stopped()))) {
                    // Read whole by an earlier verify, against this backup's manifest, which never changes.
                    objects.incrementAndGet();
                    unchanged.incrementAndGet();
                } else {
                    toRead.add(key);
                }
            }
            AtomicInteger done = new AtomicInteger();
            parallel("walden-verify-backup", toRead, key -> {
                String name = key.substring(prefix.length());
                RegionCheck check = new RegionCheck(regions.getOrDefault(key, List.of()));
                try {
                    catalog.objects().read(key, name, ObjectKind.BACKUP_DATA, Long.MAX_VALUE, check);
                } catch (dev.walden.agent.storage.ArchivedObjectException archived) {
                    // In GLACIER or DEEP_ARCHIVE (storage-class-*): reading it means retrieving it, which takes hours and
                    // costs; its presence and size were checked above, which is what verify can know of it.
                    objects.incrementAndGet();
                    return;
                } catch (ObjectNotFoundException gone) {
                    // Verify does not hold the backup lock (it may read for hours): an expiry may have removed the
                    // backup meanwhile, which is no problem; an object gone from a backup still listed is.
                    String owner = name.substring(0, name.indexOf('/'));
                    try {
                        if (catalog.list().find(owner).isPresent()) {
                            problem("object-missing", key, affected, key + " is missing; it holds data of backups "
                                    + String.join(", ", affected) + ", which cannot be restored");
                        }
                    } catch (BackupCatalog.CatalogException e) {
                        problem("catalog", null, List.of(), e.getMessage());
                    }
                    return;
                } catch (CorruptObjectException e) {
                    problem("object-damaged", key, affected, key + " is damaged: " + e.getMessage() + "; backups "
                            + String.join(", ", affected) + " cannot be restored. HINT: take a new full backup");
                    return;
                }
                List<String> mismatches = check.finish();
                for (int i = 0; i < Math.min(MESSAGES_PER_OBJECT, mismatches.size()); i++) {
                    problem("manifest-mismatch", key, affected, key + ": " + mismatches.get(i));
                }
                if (mismatches.size() > MESSAGES_PER_OBJECT) {
                    problem("manifest-mismatch", key, affected, key + ": and " + (mismatches.size() - MESSAGES_PER_OBJECT)
                            + " more stretches that do not match");
                }
                objects.incrementAndGet();
                bytesRead.addAndGet(stored.get(key).size());
                done.incrementAndGet();
            }, () -> "verify: backup " + b.id() + ": objects " + done.get() + " of " + toRead.size() + " read, "
                    + dev.walden.agent.backup.TransferProgress.size(bytesRead.get()) + " in all");
        }

        <T> void parallel(String name, List<T> items, ParallelFiles.Task<T> task, java.util.function.Supplier<String> line)
                throws IOException, Cancelled {
            if (items.isEmpty()) {
                return;
            }
            try {
                ParallelFiles.run(name, threads, items, task, new AtomicBoolean(), cancelled, () -> progress.accept(line.get()));
            } catch (IOException e) {
                throw e;
            } catch (dev.walden.agent.backup.BackupException e) {
                throw new Cancelled();
            } catch (Exception e) {
                throw new IOException(e.getMessage(), e);
            }
        }
    }
}
