package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * ops/k8s: the manifests parse, and the fields that make the cluster work agree with each other — selectors and
 * labels, the headless service and the StatefulSet's pod DNS names in --initial-cluster, the data volume under
 * --data-dir, probes and service ports on declared container ports, the agents on GPU nodes pointed at the client
 * service. That the probe paths answer and the flags exist is checked on a real server by {@link LocalClusterIT}.
 */
class KubernetesManifestsTest {
    static final String DIR = "ops/k8s";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Z_][A-Z0-9_]*)\\)");

    static List<JsonNode> objects() {
        List<JsonNode> objects = new ArrayList<>();
        for (String resource : resources()) {
            objects.addAll(Checkout.yamlDocuments(DIR + "/" + resource));
        }
        return objects;
    }

    private static List<String> resources() {
        List<String> resources = new ArrayList<>();
        Checkout.yaml(DIR + "/kustomization.yaml").path("resources").forEach(r -> resources.add(r.asText()));
        return resources;
    }

    static JsonNode only(String kind) {
        List<JsonNode> found = objects().stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
        assertThat(found).as("objects of kind %s", kind).hasSize(1);
        return found.getFirst();
    }

    static JsonNode service(String name) {
        return objects().stream().filter(o -> o.path("kind").asText().equals("Service") && o.at("/metadata/name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no Service " + name));
    }

    static JsonNode container(JsonNode workload) {
        JsonNode containers = workload.at("/spec/template/spec/containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** The server container's {@code --flag=value} arguments. */
    static Map<String, String> serverFlags() {
        Map<String, String> flags = new HashMap<>();
        for (JsonNode arg : container(only("StatefulSet")).path("args")) {
            String text = arg.asText();
            assertThat(text).as("argument form").startsWith("--").contains("=");
            flags.put(text.substring(2, text.indexOf('=')), text.substring(text.indexOf('=') + 1));
        }
        return flags;
    }

    private static Map<String, String> map(JsonNode node) {
        Map<String, String> map = new HashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static Map<String, Integer> containerPorts(JsonNode container) {
        Map<String, Integer> ports = new HashMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        return ports;
    }

    @Test
    void everyManifestIsListedParsedAndNamespaced() throws IOException {
        Set<String> files = new HashSet<>();
        try (Stream<Path> list = Files.list(Checkout.path(DIR))) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).forEach(files::add);
        }
        assertThat(resources()).containsExactlyInAnyOrderElementsOf(files);
        List<String> kinds = new ArrayList<>();
        for (JsonNode object : objects()) {
            String kind = object.path("kind").asText();
            kinds.add(kind);
            assertThat(object.path("apiVersion").asText()).as("apiVersion of a %s", kind).isNotBlank();
            assertThat(object.at("/metadata/name").asText()).as("name of a %s", kind).isNotBlank();
            if (!kind.equals("Namespace")) {
                assertThat(object.at("/metadata/namespace").asText()).as("namespace of %s", kind).isEqualTo("gantry");
            }
        }
        assertThat(kinds).containsExactlyInAnyOrder("Namespace", "Service", "Service", "StatefulSet", "PodDisruptionBudget", "DaemonSet");
    }

    @Test
    void selectorsMatchThePodsTheyMeanToSelect() {
        JsonNode servers = only("StatefulSet");
        Map<String, String> serverPods = map(servers.at("/spec/template/metadata/labels"));
        assertThat(serverPods).containsAllEntriesOf(map(servers.at("/spec/selector/matchLabels")));
        assertThat(serverPods).containsAllEntriesOf(map(service("gantry").at("/spec/selector")));
        assertThat(serverPods).containsAllEntriesOf(map(service("gantry-peers").at("/spec/selector")));
        assertThat(serverPods).containsAllEntriesOf(map(only("PodDisruptionBudget").at("/spec/selector/matchLabels")));

        JsonNode agents = only("DaemonSet");
        Map<String, String> agentPods = map(agents.at("/spec/template/metadata/labels"));
        assertThat(agentPods).containsAllEntriesOf(map(agents.at("/spec/selector/matchLabels")));
        // The client service, the peers' service and the budget must not pick up agents.
        for (Map<String, String> selector : List.of(map(service("gantry").at("/spec/selector")),
                map(service("gantry-peers").at("/spec/selector")), map(only("PodDisruptionBudget").at("/spec/selector/matchLabels")))) {
            assertThat(agentPods.entrySet().containsAll(selector.entrySet())).as("%s selects agents", selector).isFalse();
        }
    }

    @Test
    void theStatefulSetFormsAClusterFromItsPodDnsNames() {
        JsonNode servers = only("StatefulSet");
        String name = servers.at("/metadata/name").asText();
        int replicas = servers.at("/spec/replicas").asInt();
        assertThat(replicas).isEqualTo(3);
        assertThat(servers.at("/spec/podManagementPolicy").asText()).as("members start together to reach a quorum").isEqualTo("Parallel");
        String headless = servers.at("/spec/serviceName").asText();
        JsonNode peers = service(headless);
        assertThat(peers.at("/spec/clusterIP").asText()).isEqualTo("None");
        assertThat(peers.at("/spec/publishNotReadyAddresses").asBoolean()).as("peers resolvable before they are ready").isTrue();

        JsonNode server = container(servers);
        Map<String, Integer> ports = containerPorts(server);
        assertThat(ports).containsEntry("client", 2379).containsEntry("peer", 2380).containsEntry("http", 2381);

        Map<String, String> flags = serverFlags();
        String dns = "$(POD_NAME)." + headless + ".$(POD_NAMESPACE).svc";
        assertThat(flags).containsEntry("name", "$(POD_NAME)")
                .containsEntry("initial-advertise-peer-urls", "http://" + dns + ":" + ports.get("peer"))
                .containsEntry("advertise-client-urls", "http://" + dns + ":" + ports.get("client"))
                .containsEntry("listen-peer-urls", "http://0.0.0.0:" + ports.get("peer"))
                .containsEntry("listen-client-urls", "http://0.0.0.0:" + ports.get("client"))
                .containsEntry("listen-http-urls", "http://0.0.0.0:" + ports.get("http"))
                .containsEntry("initial-cluster-state", "new");
        List<String> members = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            String pod = name + "-" + i;
            members.add(pod + "=http://" + pod + "." + headless + ".$(POD_NAMESPACE).svc:" + ports.get("peer"));
        }
        assertThat(flags.get("initial-cluster")).isEqualTo(String.join(",", members));

        Map<String, String> env = new HashMap<>();
        server.path("env").forEach(e -> env.put(e.path("name").asText(), e.at("/valueFrom/fieldRef/fieldPath").asText()));
        assertThat(env).containsEntry("POD_NAME", "metadata.name").containsEntry("POD_NAMESPACE", "metadata.namespace");
        for (JsonNode arg : server.path("args")) {
            Matcher m = VARIABLE.matcher(arg.asText());
            while (m.find()) {
                assertThat(env).as("variable of %s", arg.asText()).containsKey(m.group(1));
            }
        }
    }

    @Test
    void eachMemberKeepsItsDataOnItsOwnVolume() {
        JsonNode servers = only("StatefulSet");
        JsonNode claims = servers.at("/spec/volumeClaimTemplates");
        assertThat(claims).hasSize(1);
        String claim = claims.get(0).at("/metadata/name").asText();
        assertThat(claims.get(0).at("/spec/accessModes").get(0).asText()).isEqualTo("ReadWriteOnce");
        assertThat(claims.get(0).at("/spec/resources/requests/storage").asText()).matches("\\d+[GT]i");
        Optional<String> mount = Optional.empty();
        for (JsonNode m : container(servers).path("volumeMounts")) {
            if (m.path("name").asText().equals(claim)) {
                mount = Optional.of(m.path("mountPath").asText());
            }
        }
        assertThat(mount).as("the claim is mounted").isPresent();
        assertThat(serverFlags().get("data-dir")).startsWith(mount.get() + "/");
    }

    @Test
    void probesAndServicesUseDeclaredPorts() {
        JsonNode server = container(only("StatefulSet"));
        Map<String, Integer> ports = containerPorts(server);
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            JsonNode get = server.path(probe).path("httpGet");
            assertThat(get.path("path").asText()).as(probe).isIn(LocalClusterIT.HEALTH_PATHS);
            assertThat(ports).as("%s port", probe).containsKey(get.path("port").asText());
            assertThat(ports.get(get.path("port").asText())).as("%s on the HTTP port", probe).isEqualTo(2381);
        }
        assertThat(server.at("/readinessProbe/httpGet/path").asText()).as("ready only with a leader").isEqualTo("/q/health/ready");
        for (JsonNode port : service("gantry").at("/spec/ports")) {
            assertThat(ports).as("target of service port %s", port.path("name").asText()).containsKey(port.path("targetPort").asText());
        }
        assertThat(server.at("/resources/requests/memory").asText()).isNotBlank();
        assertThat(server.at("/resources/limits/memory").asText()).isNotBlank();
    }

    @Test
    void theBudgetKeepsTheQuorum() {
        int replicas = only("StatefulSet").at("/spec/replicas").asInt();
        JsonNode budget = only("PodDisruptionBudget");
        int maxUnavailable = budget.at("/spec/maxUnavailable").asInt();
        assertThat(maxUnavailable).isBetween(1, (replicas - 1) / 2);
    }

    @Test
    void agentsRunOnGpuNodesAndTalkToTheClientService() {
        JsonNode agents = only("DaemonSet");
        JsonNode pod = agents.at("/spec/template/spec");
        assertThat(pod.path("nodeSelector").fieldNames()).toIterable().anyMatch(k -> k.startsWith("nvidia.com/"));
        assertThat(pod.path("tolerations")).anyMatch(t -> t.path("key").asText().equals("nvidia.com/gpu"));
        JsonNode agent = container(agents);
        assertThat(agent.at("/command/1").asText()).isEqualTo("agent");
        JsonNode client = service("gantry");
        int clientPort = 0;
        for (JsonNode port : client.at("/spec/ports")) {
            if (port.path("name").asText().equals("client")) {
                clientPort = port.path("port").asInt();
            }
        }
        assertThat(agent.path("args")).extracting(JsonNode::asText)
                .contains("--endpoints=http://" + client.at("/metadata/name").asText() + ".$(POD_NAMESPACE).svc:" + clientPort);
        assertThat(agent.at("/securityContext/privileged").asBoolean()).isFalse();
        assertThat(agent.at("/resources/requests/cpu").asText()).isNotBlank();
    }

    @Test
    void kustomizeBuildsTheKit() {
        assumeTrue(Command.onPath("kubectl"), "kubectl is not installed: 'kubectl kustomize ops/k8s' was not tried");
        Command.Result build = Command.run(Duration.ofSeconds(60), Map.of(), "kubectl", "kustomize", DIR).assertOk();
        assertThat(build.stdout()).contains("kind: StatefulSet", "kind: DaemonSet", "image: registry.example.com/gantry:");
    }
}
