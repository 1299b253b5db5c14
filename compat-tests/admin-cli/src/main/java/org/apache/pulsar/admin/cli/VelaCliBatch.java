package org.apache.pulsar.admin.cli;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Properties;
import org.apache.pulsar.client.cli.PulsarClientTool;

/**
 * Runs many pulsar-admin (and pulsar-client) commands in one JVM, so the admin-cli conformance column does not
 * pay a JVM start per command. Lives in PulsarAdminTool's package to call its run(String[]) the way
 * `pulsar-admin` does (exit code 0 when it returns true, else 1), reusing one tool instance as pulsar-shell does.
 *
 * Arguments: webServiceUrl serviceUrl. Reads one command per line on stdin: the tool ("admin" or "client"),
 * then its arguments, separated by tabs. Answers each with one line on the real stdout:
 * "@@RESULT exitCode base64(stdout) base64(stderr)".
 */
public final class VelaCliBatch {
    private VelaCliBatch() {
    }

    /** An output stream whose target changes per command: the CLI keeps the System.out it saw when it was built. */
    private static final class Switchable extends OutputStream {
        private OutputStream target;

        Switchable(OutputStream target) {
            this.target = target;
        }

        synchronized void to(OutputStream next) {
            target = next;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            target.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
        }

        @Override
        public synchronized void flush() throws IOException {
            target.flush();
        }
    }

    public static void main(String[] args) throws Exception {
        PrintStream realOut = System.out;
        Switchable outTarget = new Switchable(OutputStream.nullOutputStream());
        Switchable errTarget = new Switchable(System.err);
        System.setOut(new PrintStream(outTarget, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errTarget, true, StandardCharsets.UTF_8));
        Properties adminProps = new Properties();
        adminProps.setProperty("webServiceUrl", args[0]);
        Properties clientProps = new Properties();
        clientProps.setProperty("serviceUrl", args[1]);
        clientProps.setProperty("webServiceUrl", args[0]);
        PulsarAdminTool admin = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        realOut.println("@@READY");
        realOut.flush();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\t", -1);
            String[] rest = java.util.Arrays.copyOfRange(parts, 1, parts.length);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            outTarget.to(out);
            errTarget.to(err);
            int code;
            try {
                if (parts[0].equals("admin")) {
                    if (admin == null) {
                        admin = new PulsarAdminTool(adminProps);
                    }
                    code = admin.run(rest) ? 0 : 1;
                } else if (parts[0].equals("client")) {
                    code = new PulsarClientTool(clientProps).run(rest);
                } else {
                    System.err.println("unknown tool " + parts[0]);
                    code = 2;
                }
            } catch (Throwable t) {
                t.printStackTrace();
                code = 3;
            } finally {
                System.out.flush();
                System.err.flush();
                outTarget.to(OutputStream.nullOutputStream());
                errTarget.to(OutputStream.nullOutputStream());
            }
            Base64.Encoder b64 = Base64.getEncoder();
            realOut.println("@@RESULT " + code + " " + b64.encodeToString(out.toByteArray()) + " "
                    + b64.encodeToString(err.toByteArray()));
            realOut.flush();
        }
        Runtime.getRuntime().halt(0);
    }
}
