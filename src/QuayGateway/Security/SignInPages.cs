using System.Net;

namespace QuayGateway.Security;

/// <summary>The few HTML pages people see: the key sign-in form, and the refusals a browser should read as pages.</summary>
internal static class SignInPages
{
    public static string Page(string title, string body) =>
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>{{WebUtility.HtmlEncode(title)}} · QuayGateway</title>
        <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}input,button{font-size:1rem;padding:.4rem}input{width:100%;box-sizing:border-box}.error{color:#b00020}</style>
        </head><body>{{body}}</body></html>
        """;

    public static string KeyForm(string action, string returnUrl, string tokenField, string token, string? error) =>
        Page("Sign in",
            "<h1>Sign in to QuayGateway</h1>" +
            (error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>") +
            $"<form method=\"post\" action=\"{WebUtility.HtmlEncode(action)}\">" +
            $"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(tokenField)}\" value=\"{WebUtility.HtmlEncode(token)}\">" +
            $"<input type=\"hidden\" name=\"returnUrl\" value=\"{WebUtility.HtmlEncode(returnUrl)}\">" +
            "<p><label for=\"apiKey\">API key</label><br><input id=\"apiKey\" name=\"apiKey\" type=\"password\" autocomplete=\"off\" required></p>" +
            "<p><button type=\"submit\">Sign in</button></p></form>" +
            "<p>The key stays on the server side: the browser gets a session cookie that reads and opens the dashboards; " +
            "API writes still need the key in <code>X-Api-Key</code>.</p>");
}
