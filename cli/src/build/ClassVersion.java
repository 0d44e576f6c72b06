import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * ClassVersion JAR...: rewrites, in place, the classes of each jar whose class-file version is
 * below Java 8's (52) as Java 8 classes, with the stack maps the newer verifier needs. The JDK's
 * AOT cache (JEP 483) skips classes older than Java 6, and picocli is compiled for Java 5: as
 * shipped, its classes are loaded, verified and linked on every start, about 60 ms of each command.
 * Run by the build (cli/pom.xml) on the copies in cli/target/lib; the bytecode itself is unchanged.
 */
public final class ClassVersion {
    private static final int TARGET = 52;

    public static void main(String[] args) throws Exception {
        for (String arg : args) rewrite(Path.of(arg));
    }

    private static void rewrite(Path jar) throws Exception {
        Path out = jar.resolveSibling(jar.getFileName() + ".tmp");
        int rewritten = 0;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
             ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            // Stack maps need the class hierarchy: the JDK's, then the jar's own classes.
            ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                    .orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < TARGET) {
                        // Re-emitting every method body makes the library compute stack maps for the new version.
                        bytes = cf.transformClass(model, ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                                .andThen(ClassTransform.endHandler(b -> b.withVersion(TARGET, 0))));
                        rewritten++;
                    }
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                zip.putNextEntry(copy);
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        if (rewritten > 0) {
            Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            System.out.println("ClassVersion: " + rewritten + " classes of " + jar.getFileName() + " rewritten as Java 8 classes");
        } else {
            Files.delete(out);
        }
    }
}
