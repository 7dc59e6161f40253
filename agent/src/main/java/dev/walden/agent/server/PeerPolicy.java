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
    private final java.util.Set<Integer> operators;
    private final int ownUid;

    private PeerPolicy(Map<Integer, String> allowed, java.util.Set<Integer> operators, int ownUid) {
        this.allowed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(allowed));
        this.operators = java.util.Set.copyOf(operators);
        this.ownUid = ownUid;
    }

    /** As {@link #of(List, List, int, Path)} with no operator-users: only the agent's user and root write or delete. */
    public static PeerPolicy of(List<String> users, int ownUid, Path passwd) throws IOException {
        return of(users, List.of(), ownUid, passwd);
    }

    /**
     * @param users names or numeric uids from {@code allowed-users}
     * @param passwd the user database, {@code /etc/passwd}
     * @throws IllegalArgumentException naming a user that does not exist
     */
    public static PeerPolicy of(List<String> users, List<String> operatorUsers, int ownUid, Path passwd) throws IOException {
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
        java.util.Set<Integer> operators = new java.util.HashSet<>(List.of(ownUid, 0));
        for (String option : List.of("allowed-users", "operator-users")) {
            for (String user : option.equals("allowed-users") ? users : operatorUsers) {
                int uid;
                if (user.chars().allMatch(Character::isDigit)) {
                    uid = Integer.parseInt(user);
                    allowed.put(uid, byUid.getOrDefault(uid, user));
                } else if (byName.containsKey(user)) {
                    uid = byName.get(user);
                    allowed.put(uid, user);
                } else {
                    throw new IllegalArgumentException(option + " names '" + user + "', which is not a user on this host");
                }
                if (option.equals("operator-users")) {
                    operators.add(uid);
                }
            }
        }
        return new PeerPolicy(allowed, operators, ownUid);
    }

    /** Who a connection's peer is, and what it may do. */
    public dev.walden.agent.command.Caller caller(int uid, int pid) {
        return new dev.walden.agent.command.Caller(uid, pid, allowed.getOrDefault(uid, Integer.toString(uid)), operators.contains(uid),
                uid == ownUid || uid == 0);
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
