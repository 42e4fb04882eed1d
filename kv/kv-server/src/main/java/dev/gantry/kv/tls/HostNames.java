package dev.gantry.kv.tls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The host names and addresses a certificate is for (its subjectAltName), matched as TLS clients match them: an
 * address among the IP names, a name among the DNS names, where {@code *.example.com} stands for one label. The
 * common name does not count, as for Go clients (etcdctl).
 */
final class HostNames {
    private static final int DNS = 2;
    private static final int IP = 7;

    private HostNames() {
    }

    /** {@code DNS:name} and {@code IP:address} entries, in certificate order. */
    static List<String> of(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = cert.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> name : alternatives) {
                    int type = (Integer) name.get(0);
                    if (type == DNS) {
                        names.add("DNS:" + name.get(1));
                    } else if (type == IP) {
                        names.add("IP:" + name.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("unreadable subjectAltName: " + e.getMessage(), e);
        }
        return names;
    }

    static boolean matches(List<String> names, String host) {
        boolean address = host.contains(":") || host.matches("[0-9.]+");
        for (String name : names) {
            if (address && name.startsWith("IP:") && sameAddress(name.substring(3), host)) {
                return true;
            }
            if (!address && name.startsWith("DNS:") && dnsMatches(name.substring(4).toLowerCase(Locale.ROOT),
                    host.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private static boolean dnsMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(host);
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
