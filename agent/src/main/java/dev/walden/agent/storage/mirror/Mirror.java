package dev.walden.agent.storage.mirror;

import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Several repositories written as one: every object goes to each of them, read once from its source (PostgreSQL's
 * file, the backup's bytes) and stored in all in the same pass. A repository that fails, or that is still behind
 * from an earlier failure, gets what it missed in a durable per-repository log in the spool ({@link BehindLog}); one
 * catch-up thread per repository copies it there, in the order it was written, from a repository that has it, when it
 * answers again. Keeping that order is what keeps a backup's commit record after its data in every repository.
 *
 * <p>Which writes may leave a repository behind is the view's {@link Policy}: WAL under {@code archive-ack = all}
 * may not (the push fails and PostgreSQL keeps the file); WAL under {@code first} may, except repository 1; backups,
 * dumps and records may, as long as one repository stored them.
 */
public final class Mirror implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Mirror.class.getName());
    static final Duration FIRST_RETRY = Duration.ofSeconds(2);
    static final Duration LAST_RETRY = Duration.ofSeconds(60);

    /** Who may be left behind by a write through a view. */
    public enum Policy {
        /** archive-ack = all: every repository stores it, or the write fails. */
        EVERY,
        /** archive-ack = first: repository 1 stores it; the others store it or get it queued. */
        FIRST,
        /** backups, dumps, records: the repositories in step store it, the others get it queued; at least one stores it. */
        ANY
    }

    /** One repository: its number (1-4), and the store as each rate-limit lane sees it (history files, WAL, the rest). */
    public record Member(int number, Storage history, Storage wal, Storage bulk) {
        public Member(int number, Storage wal, Storage bulk) {
            this(number, wal, wal, bulk);
        }

        Storage lane(dev.walden.agent.storage.RateLimit.Lane lane) {
            return switch (lane) {
                case HISTORY -> history;
                case WAL -> wal;
                case BULK -> bulk;
            };
        }

        public String describe() {
            return "repository " + number + " (" + wal.describe() + ")";
        }
    }

    /**
     * How far one repository is behind: what it still lacks and since when.
     *
     * @param unreachable why it did not answer a probe, when one was made ({@link #probed}); empty when it did
     */
    public record Lag(int number, String store, long objects, Optional<Instant> since, Optional<String> unreachable) {
        public Lag(int number, String store, long objects, Optional<Instant> since) {
            this(number, store, objects, since, Optional.empty());
        }

        /** This lag, with the outcome of a probe of the repository. */
        public Lag probed(Optional<String> problem) {
            return new Lag(number, store, objects, since, problem);
        }

        public double seconds(Instant now) {
            return since.map(t -> Math.max(0, Duration.between(t, now).toMillis() / 1000.0)).orElse(0.0);
        }
    }

    final List<Member> members;
    final List<Member> readOrder;
    final List<BehindLog> logs;
    private final Path spool;
    final Clock clock;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closed;

    /**
     * @param members   by number, repository 1 first
     * @param readOrder the numbers in the order reads try them (repo-read-order)
     * @param spool     where the behind logs and the temporary copies of what is being stored live
     */
    public Mirror(List<Member> members, List<Integer> readOrder, Path spool, Clock clock) throws IOException {
        this.members = List.copyOf(members);
        this.readOrder = readOrder.stream().map(n -> members.stream().filter(m -> m.number() == n).findFirst().orElseThrow()).toList();
        this.spool = spool;
        this.clock = clock;
        List<BehindLog> logs = new ArrayList<>();
        for (Member member : members) {
            logs.add(new BehindLog(spool, member.number()));
        }
        this.logs = List.copyOf(logs);
    }

    /** Starts one catch-up thread per repository. */
    public void start() {
        for (int i = 0; i < members.size(); i++) {
            int index = i;
            workers.add(Thread.ofPlatform().name("walden-catch-up-repo" + members.get(i).number()).daemon().start(() -> catchUp(index)));
        }
    }

    /** The repositories as WAL sees them, written under {@code policy}. */
    public Storage wal(Policy policy) {
        return new MirroredStorage(this, policy, dev.walden.agent.storage.RateLimit.Lane.WAL);
    }

    /** The repositories as timeline history files see them, written under {@code policy}. */
    public Storage histories(Policy policy) {
        return new MirroredStorage(this, policy, dev.walden.agent.storage.RateLimit.Lane.HISTORY);
    }

    /** The repositories as backups, dumps and records see them. */
    public Storage bulk() {
        return new MirroredStorage(this, Policy.ANY, dev.walden.agent.storage.RateLimit.Lane.BULK);
    }

    public List<Member> members() {
        return members;
    }

    /** How far each repository is behind, repository 1 first. */
    public List<Lag> lag() {
        List<Lag> lag = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            lag.add(new Lag(members.get(i).number(), members.get(i).wal().describe(), logs.get(i).pending(), logs.get(i).oldest()));
        }
        return lag;
    }

    Path spool() {
        return spool;
    }

    /** Copies what repository {@code index} lacks, in order, for as long as the agent runs; waits and retries when it fails. */
    private void catchUp(int index) {
        Member target = members.get(index);
        BehindLog log = logs.get(index);
        Duration retry = FIRST_RETRY;
        while (!closed) {
            try {
                log.awaitEntries(5_000);
                List<BehindLog.Entry> batch = log.next(256);
                try {
                    for (int i = 0; i < batch.size() && !closed; i++) {
                        BehindLog.Entry entry = batch.get(i);
                        apply(target, entry);
                        log.applied(entry, i + 1 < batch.size() ? Optional.of(batch.get(i + 1).at()) : Optional.empty());
                        retry = FIRST_RETRY;
                    }
                } finally {
                    log.savePosition();
                }
                if (!batch.isEmpty() && log.isEmpty()) {
                    LOG.info(target.describe() + " has caught up: it holds everything written while it was behind");
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warning(target.describe() + " is behind by " + log.pending() + " objects and cannot catch up yet ("
                        + e.getMessage() + "); trying again in " + retry.toSeconds() + " s");
                try {
                    Thread.sleep(retry.toMillis());
                } catch (InterruptedException stop) {
                    return;
                }
                retry = retry.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : retry.multipliedBy(2);
            }
        }
    }

    /** Copies or removes one object in {@code target}: the copy's bytes as another repository stores them. */
    private void apply(Member target, BehindLog.Entry entry) throws IOException {
        if (!entry.copy()) {
            target.bulk().delete(entry.key());
            return;
        }
        IOException unreadable = null;
        for (Member source : readOrder) {
            if (source == target) {
                continue;
            }
            try (InputStream in = source.bulk().open(entry.key())) {
                target.bulk().putIfAbsent(entry.key(), in::transferTo);
                return;
            } catch (ObjectNotFoundException e) {
                // not there: removed since (a lock, an expired object), or in another repository
            } catch (IOException e) {
                if (unreadable == null) {
                    unreadable = e;
                }
            }
        }
        if (unreadable != null) {
            throw unreadable;
        }
        // No repository holds it any more: it was removed after it was written, and the log has that removal too.
    }

    /** The members that are not behind, in read order, then the ones that are: a listing should come from one in step. */
    List<Member> listingOrder() {
        List<Member> order = new ArrayList<>(readOrder);
        order.sort(Comparator.comparing(m -> logs.get(members.indexOf(m)).isEmpty() ? 0 : 1));
        return order;
    }

    BehindLog log(Member member) {
        return logs.get(members.indexOf(member));
    }

    @Override
    public void close() throws IOException {
        closed = true;
        for (Thread worker : workers) {
            worker.interrupt();
        }
        for (Thread worker : workers) {
            try {
                worker.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }
}
