package dev.walden.agent.drill;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code drill-sql-file}: SQL statements, each ended by a {@code ;} at the end of a line. A statement must return
 * true, unless a {@code -- expect: VALUE} line before it gives the text its first column must equal; a
 * {@code -- database: NAME} line runs it in that database (else pg-database). Other comments are ignored.
 */
public final class SqlChecks {
    private SqlChecks() {}

    /** One check: where it starts in the file, for messages. */
    public record SqlCheck(int line, Optional<String> database, Optional<String> expected, String sql) {
        public String describe() {
            String oneLine = sql.replaceAll("\\s+", " ");
            return "drill-sql-file line " + line + ": " + (oneLine.length() > 80 ? oneLine.substring(0, 77) + "..." : oneLine);
        }
    }

    /** @throws IllegalArgumentException naming the line, for a directive without a statement */
    public static List<SqlCheck> parse(String text) {
        List<SqlCheck> checks = new ArrayList<>();
        Optional<String> database = Optional.empty();
        Optional<String> expected = Optional.empty();
        StringBuilder statement = new StringBuilder();
        int start = 0;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (statement.isEmpty() && line.startsWith("--")) {
                String comment = line.substring(2).strip();
                if (comment.startsWith("expect:")) {
                    expected = Optional.of(comment.substring("expect:".length()).strip());
                } else if (comment.startsWith("database:")) {
                    database = Optional.of(comment.substring("database:".length()).strip());
                }
                continue;
            }
            if (line.isEmpty() && statement.isEmpty()) {
                continue;
            }
            if (statement.isEmpty()) {
                start = i + 1;
            }
            statement.append(lines[i]).append('\n');
            if (line.endsWith(";")) {
                String sql = statement.toString().strip();
                checks.add(new SqlCheck(start, database, expected, sql.substring(0, sql.length() - 1).strip()));
                statement.setLength(0);
                database = Optional.empty();
                expected = Optional.empty();
            }
        }
        if (!statement.isEmpty()) {
            throw new IllegalArgumentException("drill-sql-file line " + start + ": the statement does not end with ';'");
        }
        return checks;
    }

    /** Whether a result passes: equal to the expected text, or true when nothing is expected. */
    public static boolean passes(SqlCheck check, Optional<String> value) {
        if (check.expected().isPresent()) {
            return value.isPresent() && value.get().equals(check.expected().get());
        }
        return value.isPresent() && (value.get().equals("t") || value.get().equalsIgnoreCase("true"));
    }
}
