package dev.kmsplugin.ports.spi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a {@link Command} accepts, written once as data: its forms (the words after the command's name and the flags
 * each form reads, by flag name). The launcher renders the usage lines and the flag list of
 * {@code kms-plugin NAME [WORD] --help} from it and the declared {@link Flag}s, so neither a flag's spelling nor its
 * default is typed into a usage text.
 *
 * @param command the command's name, e.g. {@code sim}
 * @param forms   its forms, in the order usage shows them
 */
public record Synopsis(String command, List<Form> forms) {

    /**
     * One form of a command.
     *
     * @param words    the words after the command's name, e.g. {@code retire|restore VERSION}; the first word's
     *                 {@code |}-separated alternatives select this form for {@code --help}
     * @param required flags the form cannot do without
     * @param optional flags it also reads
     * @param note     said after the form, e.g. aliases; empty for none
     */
    public record Form(String words, List<String> required, List<String> optional, String note) {
        public Form {
            Objects.requireNonNull(words, "words");
            required = List.copyOf(required);
            optional = List.copyOf(optional);
            Objects.requireNonNull(note, "note");
        }

        boolean accepts(String word) {
            return Arrays.asList(words.split(" ")[0].split("\\|")).contains(word);
        }

        List<String> flags() {
            List<String> all = new ArrayList<>(required);
            all.addAll(optional);
            return all;
        }
    }

    public Synopsis {
        Objects.requireNonNull(command, "command");
        forms = List.copyOf(forms);
        if (forms.isEmpty()) {
            throw new IllegalArgumentException("a synopsis has at least one form");
        }
    }

    /** Flag names from several groups, in order, for a form that reads more than one group. */
    @SafeVarargs
    public static List<String> names(List<String>... groups) {
        return Arrays.stream(groups).flatMap(List::stream).toList();
    }

    /** The forms {@code word} selects: those whose first word names it, else every form. */
    public List<Form> formsFor(Optional<String> word) {
        List<Form> chosen = word.map(w -> forms.stream().filter(form -> form.accepts(w)).toList()).orElse(List.of());
        return chosen.isEmpty() ? forms : chosen;
    }

    /** Names of the flags the forms {@code word} selects read, required first, each once. */
    public List<String> flagNames(Optional<String> word) {
        Set<String> names = new LinkedHashSet<>();
        formsFor(word).forEach(form -> names.addAll(form.flags()));
        return List.copyOf(names);
    }

    /** The short usage a command prints on a wrong word: each form's words, and where the flags are listed. */
    public String brief() {
        StringBuilder text = new StringBuilder();
        for (Form form : forms) {
            text.append(text.length() == 0 ? "usage: " : "       ").append("kms-plugin ").append(command).append(' ')
                    .append(form.words()).append(" [flags]")
                    .append(form.note().isEmpty() ? "" : "   (" + form.note() + ")").append('\n');
        }
        return text.append("'kms-plugin ").append(command).append(" --help' lists the flags").toString();
    }

    /**
     * The usage lines of the forms {@code word} selects, each flag spelled as declared: {@code --name=KIND} when
     * required, {@code [--name=KIND]} when not, a boolean without a value.
     *
     * @param flags the declared flag of a name
     * @throws IllegalStateException when a form names a flag nobody declares
     */
    public String render(Optional<String> word, Function<String, Optional<Flag>> flags) {
        StringBuilder text = new StringBuilder();
        for (Form form : formsFor(word)) {
            text.append(text.length() == 0 ? "usage: " : "       ").append("kms-plugin ").append(command).append(' ')
                    .append(form.words());
            form.required().forEach(name -> text.append(' ').append(spell(flags, name)));
            form.optional().forEach(name -> text.append(" [").append(spell(flags, name)).append(']'));
            if (!form.note().isEmpty()) {
                text.append("   (").append(form.note()).append(')');
            }
            text.append('\n');
        }
        return text.substring(0, text.length() - 1);
    }

    private String spell(Function<String, Optional<Flag>> flags, String name) {
        Flag flag = flags.apply(name).orElseThrow(() -> new IllegalStateException(
                "command '" + command + "' names --" + name + ", which no installed plugin declares"));
        return "--" + flag.name() + switch (flag.kind()) {
            case BOOLEAN -> "";
            case STRING -> "=STRING";
            case INT -> "=INT";
            case DURATION -> "=DURATION";
        };
    }
}
