package dev.walden.agent.backup;

import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One backup or expiry at a time per repository: a lock object created only if absent. It holds who took it (host, pid) so
 * that a lock left by a killed agent on this host is recognised as stale and taken over, while one held by a live
 * agent, or by another host, is refused with a message naming the holder. The lock holds no data, only who holds it.
 */
final class BackupLock implements AutoCloseable {
    private final Storage storage;
    private final String key;

    private BackupLock(Storage storage, String key) {
        this.storage = storage;
        this.key = key;
    }

    /**
     * @param runningHere whether this agent already runs a backup (then its own lock is never stale)
     * @throws BackupException when another backup holds the lock
     */
    static BackupLock acquire(Storage storage, String key, String job, boolean runningHere) throws IOException, BackupException {
        String host = hostName();
        long pid = ProcessHandle.current().pid();
        String text = "host " + host + "\npid " + pid + "\nbackup " + job + "\nsince " + java.time.Instant.now() + "\n";
        for (int attempt = 0; attempt < 2; attempt++) {
            if (storage.putIfAbsent(key, out -> out.write(text.getBytes(StandardCharsets.UTF_8))) == Storage.PutOutcome.CREATED) {
                return new BackupLock(storage, key);
            }
            Optional<String> holder = read(storage, key);
            if (holder.isEmpty()) {
                continue;  // released meanwhile
            }
            String holderHost = field(holder.get(), "host");
            long holderPid = parsePid(field(holder.get(), "pid"));
            boolean holderAlive = holderPid == pid ? runningHere : ProcessHandle.of(holderPid).map(ProcessHandle::isAlive).orElse(false);
            if (holderHost.equals(host) && !holderAlive) {
                storage.delete(key);  // left by an agent that was killed: nobody runs that backup any more
                continue;
            }
            throw new BackupException("another job holds this repository's backup lock (" + field(holder.get(), "backup")
                    + ", since " + field(holder.get(), "since") + ", agent pid " + holderPid + " on " + holderHost
                    + "); backups and expiry run one at a time. HINT: wait for it to finish" + (holderHost.equals(host) ? ""
                    : "; if that host's agent is gone for good, delete the object " + key + " from the repository"));
        }
        throw new BackupException("could not take the backup lock " + key + "; try again");
    }

    private static Optional<String> read(Storage storage, String key) throws IOException {
        try (InputStream in = storage.open(key)) {
            return Optional.of(new String(in.readNBytes(4096), StandardCharsets.UTF_8));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    private static String field(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return "?";
    }

    private static long parsePid(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() throws IOException {
        storage.delete(key);
    }
}
