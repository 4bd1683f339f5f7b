package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code abscert} launcher script at the repository root, run for real on a copy of it in a temporary root
 * whose {@code cli/target} holds a manifest-only jar pointing at this build's classes: the environment
 * variables README documents, the {@code ai.djl.offline} flag, and the pass-through of arguments and exit codes.
 */
class LauncherTest {

    static final Path SCRIPT = Path.of("..", "abscert").toAbsolutePath().normalize();

    record Result(int exit, String out, String err) {}

    /** A root with the launcher and, if {@code withJar}, a runnable cli/target jar and lib directory. */
    static Path root(Path dir, boolean withJar) throws IOException {
        Files.copy(SCRIPT, dir.resolve("abscert"));
        dir.resolve("abscert").toFile().setExecutable(true);
        Path target = Files.createDirectories(dir.resolve("cli/target/lib"));
        if (withJar) {
            Manifest m = new Manifest();
            m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "org.abscert.cli.Main");
            List<String> cp = new ArrayList<>();
            for (String e : System.getProperty("java.class.path").split(File.pathSeparator))
                cp.add(new File(e).toURI().toString());
            m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", cp));
            try (OutputStream o = Files.newOutputStream(target.getParent().resolve("abscert-cli-test.jar"));
                 JarOutputStream j = new JarOutputStream(o, m)) {
                j.flush();
            }
        }
        return dir;
    }

    static Result run(Path root, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", root.resolve("abscert").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("ABSCERT_NO_BUILD");
        pb.environment().remove("ABSCERT_JAVA_OPTS");
        pb.environment().putAll(env);
        Path out = Files.createTempFile("launcher", ".out"), err = Files.createTempFile("launcher", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not finish");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void passesArgumentsExitCodeAndJavaOptionsThroughWithDjlOffline(@TempDir Path dir) throws Exception {
        Path root = root(dir, true);
        String ex = CertifyCommandTest.EXAMPLES.toAbsolutePath().normalize().toString();
        Result r = run(root, Map.of("ABSCERT_NO_BUILD", "1", "ABSCERT_JAVA_OPTS", "-XshowSettings:properties"),
                "certify", ex + "/relu-difference.json", "--point", ex + "/relu-difference.point.json", "--backend", "tape");
        assertEquals(1, r.exit(), r::toString); // README: exit 1, tape's gradient 0 is refuted
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("tape") && l.contains("REFUTED")), r::toString);
        assertTrue(r.err().contains("Property settings"), "ABSCERT_JAVA_OPTS reached the JVM: " + r);
        assertTrue(r.err().contains("ai.djl.offline = true"), "the launcher runs DJL offline: " + r);
        assertFalse(r.err().contains("building"), "ABSCERT_NO_BUILD=1 never builds: " + r);
    }

    @Test
    void withNoBuildAndNoJarItSaysSoAndExitsFour(@TempDir Path dir) throws Exception {
        Result r = run(root(dir, false), Map.of("ABSCERT_NO_BUILD", "1"), "backends");
        assertEquals(4, r.exit(), r::toString);
        assertTrue(r.err().contains("no jar under cli/target"), r::toString);
    }

    @Test
    void aNeededBuildWithoutMavenExitsTwoNamingMaven(@TempDir Path dir) throws Exception {
        // no jar, so a build is needed; a PATH with the script's own tools but no mvn
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("dirname", "readlink"))
            Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
        Path root = Files.createDirectories(dir.resolve("root"));
        Result r = run(root(root, false), Map.of("PATH", bin.toString()), "backends");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("Maven (mvn) is needed"), r::toString);
    }
}
