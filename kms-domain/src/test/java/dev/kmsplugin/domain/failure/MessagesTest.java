package dev.kmsplugin.domain.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class MessagesTest {

    @Test
    void any_text_becomes_one_printable_line() {
        assertEquals("a b c ?", Messages.oneLine("a\r\nb\tc \u00e9"));
        assertEquals("", Messages.oneLine(null));
        assertEquals(1027, Messages.oneLine("x".repeat(5000)).length());
        assertEquals("abc...", Messages.oneLine("abcdef", 3));
    }

    @Test
    void json_strings_escape_what_would_break_a_line_or_a_reader() {
        assertEquals("\"a\\\"b\\\\c\\n\\u0001\\u007f\\u2028\u00e9\"",
                Messages.appendJsonString(new StringBuilder(), "a\"b\\c\n\u0001\u007f\u2028\u00e9").toString());
    }

    @Test
    void identifiers_keep_safe_characters_and_replace_each_other_character_once() {
        assertEquals("-", Messages.identifier(null, 10));
        assertEquals("-", Messages.identifier("", 10));
        String safe = "uid-1:a/b_c.D9";
        assertSame(safe, Messages.identifier(safe, 64), "a safe identifier is not copied");
        assertEquals("uid-1", Messages.identifier("uid-123", 5));
        assertEquals("a_b_c_d", Messages.identifier("a b\nc\u001bd", 64));
        // one character outside the BMP (two UTF-16 units) is one replacement
        assertEquals("x_y", Messages.identifier("x\uD83D\uDE00y", 64));
        assertEquals("_", Messages.identifier("\u00e9", 64));
    }
}
