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
}
