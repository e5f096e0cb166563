package dev.kmsplugin.domain.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
