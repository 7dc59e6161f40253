package dev.walden.agent.command;

import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.retention.Expiry;
import dev.walden.agent.verify.Verifier;

/**
 * What {@code walden expire} and {@code walden verify} do to one repository on its own: its catalog, its retention
 * and its checks. With several repositories each has its own (repoN-retain-*), and each is verified where it is.
 *
 * @param number the repository's number (1-4)
 * @param store  the store, for headings and messages, e.g. {@code local:/var/lib/walden/repo}
 */
public record RepositoryServices(int number, String store, BaseBackups backups, Expiry expiry, Verifier verifier) {
    /** The heading of this repository's part of a command's output, when there are several. */
    String heading() {
        return "repository " + number + " (" + store + ")";
    }
}
