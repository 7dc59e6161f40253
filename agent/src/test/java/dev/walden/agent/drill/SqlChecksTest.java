package dev.walden.agent.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SqlChecksTest {
    @Test
    void directivesApplyToTheNextStatementOnly() {
        List<SqlChecks.SqlCheck> checks = SqlChecks.parse("""
                -- a comment
                -- database: shop
                -- expect: 42
                SELECT count(*)
                  FROM orders;

                SELECT true;
                """);
        assertEquals(2, checks.size());
        assertEquals(new SqlChecks.SqlCheck(4, Optional.of("shop"), Optional.of("42"), "SELECT count(*)\n  FROM orders"), checks.get(0));
        assertEquals(new SqlChecks.SqlCheck(7, Optional.empty(), Optional.empty(), "SELECT true"), checks.get(1));
        assertTrue(SqlChecks.passes(checks.get(0), Optional.of("42")));
        assertFalse(SqlChecks.passes(checks.get(0), Optional.of("41")));
        assertTrue(SqlChecks.passes(checks.get(1), Optional.of("t")));
        assertFalse(SqlChecks.passes(checks.get(1), Optional.of("f")));
        assertFalse(SqlChecks.passes(checks.get(1), Optional.empty()));
    }

    @Test
    void anUnterminatedStatementNamesItsLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SqlChecks.parse("SELECT 1;\nSELECT 2\n"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }
}
