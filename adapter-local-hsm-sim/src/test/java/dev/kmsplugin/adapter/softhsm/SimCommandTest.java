package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Settings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** {@code kms-plugin sim init|rotate|list} against a real token, as the launcher dispatches them. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SimCommandTest {

    static SimFixture fixture;

    @BeforeAll
    static void create() throws Exception {
        fixture = SimFixture.create(SimCommandTest.class);
    }

    @AfterAll
    static void remove() throws Exception {
        fixture.close();
    }

    record Result(int exitCode, String out, String err) {
    }

    static Result sim(Map<String, String> env, Settings settings, String... words) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new SimCommand(env, Clock.systemUTC()).run(new Command.Invocation(List.of(words), settings,
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Result sim(String... words) throws Exception {
        return sim(fixture.env, fixture.settings(), words);
    }

    @Test
    @Order(1)
    void init_creates_the_token_and_version_1_and_says_how_to_point_softhsm_at_it() throws Exception {
        Result run = sim("init");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("created token 'kms-plugin' in " + fixture.dir), run.out());
        assertTrue(run.out().contains("generated version 1 of key 'kms-plugin-kek'"), run.out());
        assertTrue(run.out().contains("SOFTHSM2_CONF=" + fixture.dir.resolve("softhsm2.conf")), run.out());
        assertTrue(run.out().contains(Simulator.keyId("kms-plugin-kek", "1").value()), run.out());
    }

    @Test
    @Order(2)
    void init_again_changes_nothing() throws Exception {
        Result run = sim("init");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("(already there)"), run.out());
        assertTrue(run.out().contains("already has 1 version(s); nothing generated"), run.out());
    }

    @Test
    @Order(3)
    void rotate_makes_a_new_version_current_and_says_when_servers_see_it() throws Exception {
        Result run = sim("rotate");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("version 2 of key 'kms-plugin-kek' is now current"), run.out());
        assertTrue(run.out().contains("30s"), run.out());
    }

    @Test
    @Order(4)
    void list_shows_every_version_with_the_current_one_marked() throws Exception {
        Result run = sim("list");
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run.out());
        assertTrue(lines.get(0).startsWith("VERSION"), run.out());
        assertTrue(lines.get(1).matches("1 +\\d{4}-.*" + Simulator.keyId("kms-plugin-kek", "1").value()), run.out());
        assertTrue(lines.get(2).matches("2 +\\* +\\d{4}-.*" + Simulator.keyId("kms-plugin-kek", "2").value()), run.out());
    }

    @Test
    void the_pin_can_come_from_an_environment_variable() throws Exception {
        Map<String, String> env = new HashMap<>(fixture.env);
        env.put("SIM_TEST_PIN", Files.readString(fixture.dir.resolve("user.pin")).strip());
        Path elsewhere = fixture.dir.resolve("no-such-pin-file");
        Result run = sim(env, fixture.settings("pin-env", "SIM_TEST_PIN"), "list");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(!Files.exists(elsewhere));
    }

    @Test
    void a_missing_token_says_how_to_create_it() throws Exception {
        Result run = sim(fixture.env, fixture.settings("token-label", "other"), "list");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("holds no token labelled 'other'")
                && run.err().contains("kms-plugin sim init --sim-dir="), run.err());
    }

    @Test
    void a_missing_directory_is_not_created_by_rotate() throws Exception {
        Path missing = fixture.dir.resolve("not-there");
        Result run = sim(fixture.env, fixture.settings("sim-dir", missing.toString()), "rotate");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("does not exist; create it with: kms-plugin sim init"), run.err());
        assertTrue(!Files.exists(missing));
    }

    @Test
    void a_locked_directory_is_reported_instead_of_waiting() throws Exception {
        try (FileChannel channel = FileChannel.open(fixture.dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = channel.lock()) {
            Result run = sim("rotate");
            assertEquals(1, run.exitCode());
            assertTrue(run.err().contains("is locked by another kms-plugin command"), run.err());
        }
    }

    @Test
    void softhsm2_conf_must_name_the_simulator_directory() throws Exception {
        Map<String, String> unset = new HashMap<>(fixture.env);
        unset.remove("SOFTHSM2_CONF");
        Result run = sim(unset, fixture.settings(), "list");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("SOFTHSM2_CONF is not set") && run.err().contains("bin/kms-plugin"), run.err());

        Path other = fixture.dir.resolve("other.conf");
        Files.writeString(other, "directories.tokendir = /tmp\n");
        Map<String, String> elsewhere = new HashMap<>(fixture.env);
        elsewhere.put("SOFTHSM2_CONF", other.toString());
        run = sim(elsewhere, fixture.settings(), "list");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("points SoftHSM at the token directory /tmp"), run.err());
    }

    @Test
    void a_missing_library_names_the_package_to_install() throws Exception {
        Result run = sim(fixture.env, fixture.settings("library", "/nonexistent/libsofthsm2.so"), "list");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("apt-get install softhsm2") && run.err().contains("--sim-library"), run.err());
    }

    @Test
    void without_a_directory_it_asks_for_sim_dir() throws Exception {
        Result run = sim(fixture.env, fixture.settings("sim-dir", ""), "list");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--sim-dir=DIR"), run.err());
    }

    @Test
    void a_missing_or_unknown_subcommand_prints_usage() throws Exception {
        Result none = sim();
        assertEquals(2, none.exitCode());
        assertTrue(none.err().contains("missing subcommand") && none.err().contains(SimCommand.USAGE), none.err());
        Result unknown = sim("delete");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown subcommand [delete]"), unknown.err());
    }
}
