package dev.walden.agent.backup;

import dev.walden.agent.pipeline.BackupObjects;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;

/**
 * One backup or expiry at a time per repository: a lock object created only if absent. It holds who took it (host, pid) so
 * that a lock left by a killed agent on this host is recognised as stale and taken over, while one held by a live
 * agent, or by another host, is refused with a message naming the holder. The lock holds no data, only who holds it.
 */
final class BackupLock implements AutoCloseable {
    private final BackupObjects objects;
    private final String key;

    private BackupLock(BackupObjects objects, String key) {
        this.objects = objects;
        this.key = key;
    }

    /**
     * @param runningHere whether this agent already runs a backup (then its own lock is never stale)
     * @throws BackupException when another backup holds the lock
     */
    static BackupLock acquire(BackupObjects objects, String key, String job, boolean runningHere) throws IOException, BackupException {
        String host = hostName();
        long pid = ProcessHandle.current().pid();
        String text = "host " + host + "\npid " + pid + "\nbackup " + job + "\nsince " + java.time.Instant.now() + "\n";
        for (int attempt = 0; attempt < 2; attempt++) {
            if (objects.createMarker(key, text)) {
                return new BackupLock(objects, key);
            }
            Optional<String> holder = objects.readMarker(key);
            if (holder.isEmpty()) {
                continue;  // released meanwhile
            }
            String holderHost = field(holder.get(), "host");
            long holderPid = parsePid(field(holder.get(), "pid"));
            boolean holderAlive = holderPid == pid ? runningHere : ProcessHandle.of(holderPid).map(ProcessHandle::isAlive).orElse(false);
            if (holderHost.equals(host) && !holderAlive) {
                objects.delete(key);  // left by an agent that was killed: nobody runs that backup any more
                continue;
            }
            throw new BackupException("another job holds this repository's backup lock (" + field(holder.get(), "backup")
                    + ", since " + field(holder.get(), "since") + ", agent pid " + holderPid + " on " + holderHost
                    + "); backups and expiry run one at a time. HINT: wait for it to finish" + (holderHost.equals(host) ? ""
                    : "; if that host's agent is gone for good, delete the object " + key + " from the repository"));
        }
        throw new BackupException("could not take the backup lock " + key + "; try again");
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
        objects.delete(key);
    }
}
