package dev.vela.compat.java;

import java.security.SecureRandom;

/** The runner → suite contract (see compat-tests/run.mjs): everything the suite knows about its broker. */
final class Env {
    static final String SERVICE_URL = env("SERVICE_URL", "pulsar://127.0.0.1:6650");
    static final String ADMIN_URL = stripSlash(env("ADMIN_URL", "http://127.0.0.1:8080"));
    /** Empty when the broker cannot be restarted (external broker): restart scenarios then report skip. */
    static final String CONTROL_URL = stripSlash(env("COMPAT_CONTROL_URL", ""));
    static final String RUN_ID = env("COMPAT_RUN_ID", randomId());
    static final double SCALE = parseScale(env("COMPAT_TIMEOUT_SCALE", "1"));
    static final String SCENARIOS = env("COMPAT_SCENARIOS", "");

    private Env() {}

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    private static String stripSlash(String s) {
        return s.replaceAll("/+$", "");
    }

    private static double parseScale(String s) {
        try {
            double d = Double.parseDouble(s);
            return d > 0 ? d : 1;
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static String randomId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        SecureRandom r = new SecureRandom();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return b.toString();
    }
}
