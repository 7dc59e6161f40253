package dev.walden.agent.retention;

import dev.walden.agent.wal.WalFileName;

/** One archived WAL file as the repository lists it: its name and the bytes it takes there. */
public record ArchivedFile(WalFileName name, long storedBytes) {}
