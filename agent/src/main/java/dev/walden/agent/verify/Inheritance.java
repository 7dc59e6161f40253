package dev.walden.agent.verify;

import dev.walden.agent.backup.Manifest;

/**
 * How verify checks what an incremental takes from older backups without reading their objects again: against the
 * parent's manifest entry for the same path, which is where the incremental's entry was copied from.
 */
final class Inheritance {
    private Inheritance() {}

    /**
     * Whether a file that reads an older backup's data reads it where the parent's manifest has the same data: the
     * whole file as the parent had it, or each block taken over from the parent at the parent's place for it.
     */
    static boolean asRecorded(Manifest.FileEntry file, Manifest.FileEntry parent, String own) {
        if (parent == null) {
            return false;
        }
        if (file.blocks().isEmpty()) {
            return parent.blocks().isEmpty() && parent.size() == file.size() && parent.sha256().equals(file.sha256())
                    && parent.backup().equals(file.backup()) && parent.object() == file.object() && parent.offset() == file.offset();
        }
        if (parent.blocks().isEmpty() || parent.blocks().get().size() != file.blocks().get().size()) {
            return false;
        }
        Manifest.Blocks mine = file.blocks().get();
        Manifest.Blocks theirs = parent.blocks().get();
        int at = 0;  // both block maps' parts are in block order: one pass over each
        for (Manifest.Part part : mine.parts()) {
            if (part.backup().equals(own)) {
                continue;
            }
            for (int block = part.first(); block < part.first() + part.count(); block++) {
                while (at < theirs.parts().size() && theirs.parts().get(at).first() + theirs.parts().get(at).count() <= block) {
                    at++;
                }
                if (at == theirs.parts().size() || block >= theirs.count() || theirs.parts().get(at).first() > block) {
                    return false;
                }
                Manifest.Part there = theirs.parts().get(at);
                if (mine.checksum(block) != theirs.checksum(block) || !there.backup().equals(part.backup())
                        || there.object() != part.object()
                        || there.offset() + (long) (block - there.first()) * theirs.size() != part.offset() + (long) (block - part.first()) * mine.size()) {
                    return false;
                }
            }
        }
        return true;
    }
}
