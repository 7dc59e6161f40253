package dev.walden.agent.lookahead;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The files through which bin/walden answers {@code walden push} for a segment stored ahead, without starting a
 * JVM: {@code DIR/NAME.pending} while its upload is queued or running, then {@code DIR/NAME} holding the identity
 * of the file that was read and is now durable (as {@code stat} prints it). The launcher exits 0 only if the file
 * PostgreSQL hands over has exactly that identity; it waits while {@code NAME.pending} exists and the process whose
 * id it holds (this agent) is alive, and otherwise asks the agent. Nothing is written here before the object is
 * durable.
 */
final class LauncherAcknowledgements {
    private static final Logger LOG = Logger.getLogger(LauncherAcknowledgements.class.getName());
    static final LauncherAcknowledgements NONE = new LauncherAcknowledgements(null);
    private static final String PENDING = ".pending";

    private static final String PID = Long.toString(ProcessHandle.current().pid());
    private final Path directory;

    private LauncherAcknowledgements(Path directory) {
        this.directory = directory;
    }

    /**
     * Creates (or takes over and empties) {@code directory}. It must be the agent's own and writable by nobody else,
     * since a file in it lets a push succeed; otherwise the fast path is off and every push goes through the agent.
     */
    static LauncherAcknowledgements in(Path directory) {
        try {
            if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS);
            boolean own = Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)
                    && Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))
                    && !mode.contains(PosixFilePermission.GROUP_WRITE) && !mode.contains(PosixFilePermission.OTHERS_WRITE);
            if (!own) {
                LOG.warning(directory + " is not a directory that only this agent's user can write; every push will go"
                        + " through the agent (slower, still correct). HINT: remove it and restart the agent, which"
                        + " creates it with mode 0700");
                return NONE;
            }
            try (DirectoryStream<Path> stale = Files.newDirectoryStream(directory)) {
                for (Path file : stale) {
                    Files.deleteIfExists(file);  // from an earlier run: nothing about them is known any more
                }
            }
            return new LauncherAcknowledgements(directory);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warning("cannot use " + directory + " for push acknowledgements; every push will go through the agent: " + e.getMessage());
            return NONE;
        }
    }

    void pending(String name) {
        if (directory != null) {
            try {
                Files.deleteIfExists(directory.resolve(name));
                Files.writeString(directory.resolve(name + PENDING), PID + "\n");
            } catch (IOException e) {
                LOG.fine("could not mark " + name + " pending: " + e.getMessage());
            }
        }
    }

    /** Only once {@code name}'s object is durable and the file did not change while it was read. */
    void stored(String name, FileIdentity identity) {
        if (directory != null) {
            Path temp = directory.resolve(".tmp-" + name);
            try {
                Files.writeString(temp, identity.asStatLine() + "\n");
                Files.move(temp, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                LOG.fine("could not acknowledge " + name + " to the launcher: " + e.getMessage());
            }
            forgetPending(name);
        }
    }

    /** The upload failed or cannot be confirmed: a waiting launcher goes to the agent, which reports it. */
    void forgetPending(String name) {
        delete(name + PENDING);
    }

    /** PostgreSQL has archived {@code name}; nothing will ask again. */
    void forget(String name) {
        delete(name);
        delete(name + PENDING);
    }

    /** At shutdown: no launcher may wait for an upload that will not finish. */
    void clear() {
        if (directory != null) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
                for (Path file : files) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                LOG.fine("could not empty " + directory + ": " + e.getMessage());
            }
        }
    }

    private void delete(String file) {
        if (directory != null) {
            try {
                Files.deleteIfExists(directory.resolve(file));
            } catch (IOException e) {
                LOG.fine("could not remove " + file + ": " + e.getMessage());
            }
        }
    }
}
