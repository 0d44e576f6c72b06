import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * ClassPathManifest CLASSPATH_FILE MANIFEST: writes a manifest whose Class-Path holds the entries of
 * CLASSPATH_FILE (as maven-dependency-plugin's build-classpath writes them, ':'-separated), separated
 * by spaces as the jar specification wants them. Maven trims a space given as a plugin parameter, so
 * the build (cli/pom.xml) cannot have build-classpath write the jar's Class-Path itself.
 */
public final class ClassPathManifest {
    public static void main(String[] args) throws Exception {
        String classPath = Files.readString(Path.of(args[0])).strip();
        if (classPath.isEmpty()) throw new IllegalArgumentException(args[0] + " is empty");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath.replace(':', ' '));
        try (OutputStream out = Files.newOutputStream(Path.of(args[1]))) {
            manifest.write(out);
        }
    }
}
