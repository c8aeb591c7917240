namespace QuayGateway.Tests.Sandbox;

/// <summary>The three QuayRegistry forms of the source document (seed-deploy-quay-with-operator.zh.txt, step 3).</summary>
internal static class SourceDocumentExamples
{
    public const string Minimal = """
        apiVersion: quay.redhat.com/v1
        kind: QuayRegistry
        metadata:
          name: example-registry
          namespace: quay-enterprise
        """;

    public const string SomeUnmanaged = """
        apiVersion: quay.redhat.com/v1
        kind: QuayRegistry
        metadata:
          name: example-registry
          namespace: quay-enterprise
        spec:
          components:
            - kind: clair
              managed: false
            - kind: horizontalpodautoscaler
              managed: false
            - kind: mirror
              managed: false
            - kind: monitoring
              managed: false
        """;

    public const string WithConfigBundle = """
        apiVersion: quay.redhat.com/v1
        kind: QuayRegistry
        metadata:
          name: example-registry
          namespace: quay-enterprise
        spec:
          configBundleSecret: init-config-bundle-secret
        """;
}
