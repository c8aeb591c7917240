namespace QuayGateway.Sandbox;

// A named entry point: a top-level Program would clash with the gateway's Program in the tests.
internal static class SandboxProgram
{
    public static int Main()
    {
        Console.WriteLine("QuayGateway sandbox: not implemented yet.");
        return 0;
    }
}
