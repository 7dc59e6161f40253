package dev.walden.agent.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which local users may talk to the agent, checked against each connection's peer credentials (SO_PEERCRED).
 * The agent's own user is always allowed; others only when listed in {@code allowed-users}. Socket file
 * permissions are the first fence, this is the second: a connection from anyone else is refused with a reason.
 */
public final class PeerPolicy {
    private final Map<Integer, String> allowed;

    private PeerPolicy(Map<Integer, String> allowed) {
        this.allowed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(allowed));
    }

    /**
     * @param users names or numeric uids from {@code allowed-users}
     * @param passwd the user database, {@code /etc/passwd}
     * @throws IllegalArgumentException naming a user that does not exist
     */
    public static PeerPolicy of(List<String> users, int ownUid, Path passwd) throws IOException {
        Map<String, Integer> byName = new HashMap<>();
        Map<Integer, String> byUid = new HashMap<>();
        if (Files.isReadable(passwd)) {
            for (String line : Files.readAllLines(passwd)) {
                String[] fields = line.split(":");
                if (fields.length > 2) {
                    try {
                        int uid = Integer.parseInt(fields[2]);
                        byName.putIfAbsent(fields[0], uid);
                        byUid.putIfAbsent(uid, fields[0]);
                    } catch (NumberFormatException ignored) {
                        // not a user line
                    }
                }
            }
        }
        Map<Integer, String> allowed = new LinkedHashMap<>();
        allowed.put(ownUid, byUid.getOrDefault(ownUid, Integer.toString(ownUid)));
        for (String user : users) {
            if (user.chars().allMatch(Character::isDigit)) {
                int uid = Integer.parseInt(user);
                allowed.put(uid, byUid.getOrDefault(uid, user));
            } else if (byName.containsKey(user)) {
                allowed.put(byName.get(user), user);
            } else {
                throw new IllegalArgumentException("allowed-users names '" + user + "', which is not a user on this host");
            }
        }
        return new PeerPolicy(allowed);
    }

    /** The effective user id of this process (the owner of /proc/self). */
    public static int currentUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    public boolean allows(int uid) {
        return allowed.containsKey(uid);
    }

    public String describe() {
        return String.join(", ", allowed.values());
    }
}
