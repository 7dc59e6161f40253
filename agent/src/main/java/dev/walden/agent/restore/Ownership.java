package dev.walden.agent.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;

/**
 * Restored files belong to the owner of the directory they are restored into: the agent normally runs as that user
 * (postgres) and this does nothing; an agent run as root still leaves a directory PostgreSQL can start from.
 */
final class Ownership {
    private final UserPrincipal owner;
    private final GroupPrincipal group;
    private final boolean needed;

    private Ownership(UserPrincipal owner, GroupPrincipal group, boolean needed) {
        this.owner = owner;
        this.group = group;
        this.needed = needed;
    }

    static Ownership of(Path directory) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(directory, PosixFileAttributes.class);
        String me = System.getProperty("user.name");
        return new Ownership(attributes.owner(), attributes.group(), !attributes.owner().getName().equals(me));
    }

    void apply(Path path) throws IOException {
        if (needed) {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            view.setOwner(owner);
            view.setGroup(group);
        }
    }
}
