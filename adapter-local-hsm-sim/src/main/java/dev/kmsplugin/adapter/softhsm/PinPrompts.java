package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code softhsm2-util --init-token} with the PINs typed at its prompts, never on its command line: any user on
 * the machine can read a process's arguments in {@code /proc/<pid>/cmdline}. softhsm2-util reads PINs only from a
 * terminal, so the dialogue runs on a pseudo-terminal made by util-linux {@code script}.
 */
final class PinPrompts {

    /** Where util-linux installs {@code script}. */
    static final Path SCRIPT = Path.of("/usr/bin/script");
    private static final String PROMPT = "PIN: ";

    private PinPrompts() {
    }

    /** Whether {@code script} is util-linux {@code script} on this machine, which the dialogue needs. */
    static boolean available(Path script) {
        return Files.isExecutable(script) && System.getProperty("os.name", "").toLowerCase().contains("linux");
    }

    /** The command that is run: the tool and the label, no PIN. */
    static List<String> command(Path script, String tool, String label) {
        return List.of(script.toString(), "-qec", quote(tool) + " --init-token --free --label " + quote(label),
                "/dev/null");
    }

    /** Initialises a free token labelled {@code label}, answering the four PIN prompts (SO twice, user twice). */
    static void initToken(Path script, String tool, Path conf, String label, String soPin, String userPin) {
        ProcessBuilder builder = new ProcessBuilder(command(script, tool, label)).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("SOFTHSM2_CONF", conf.toString());
        Deque<String> answers = new ArrayDeque<>(List.of(soPin, soPin, userPin, userPin));
        try {
            Process process = builder.start();
            StringBuilder transcript = new StringBuilder();
            Thread watchdog = new Thread(() -> {
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                }
            }, "softhsm2-util-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            converse(process.getInputStream(), process.getOutputStream(), answers, transcript);
            int exit = process.waitFor();
            watchdog.interrupt();
            if (exit != 0 || !answers.isEmpty()) {
                // The transcript shows the prompts and asterisks, never a PIN: echo is off at the prompts.
                throw new KmsException.Misconfigured("softhsm2-util --init-token failed: "
                        + Messages.oneLine(transcript.toString()));
            }
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot run softhsm2-util (" + e.getMessage() + "); "
                    + SoftHsmInstallation.INSTALL_HINT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsException.BackendUnavailable("interrupted while running softhsm2-util");
        }
    }

    // Answers each prompt as it appears: input typed before the tool turns echo off would be discarded.
    private static void converse(InputStream from, OutputStream to, Deque<String> answers, StringBuilder transcript)
            throws IOException {
        int c;
        while ((c = from.read()) >= 0) {
            transcript.append((char) c);
            if (!answers.isEmpty() && transcript.length() >= PROMPT.length()
                    && transcript.substring(transcript.length() - PROMPT.length()).equals(PROMPT)) {
                to.write((answers.poll() + "\n").getBytes(StandardCharsets.US_ASCII));
                to.flush();
            }
        }
    }

    private static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
