using System.Net;
using System.Text.RegularExpressions;

namespace QuayGateway.Tests.Security;

/// <summary>
/// A browser's cookie jar for tests that follow redirects by hand: by name, for any host and path, Secure or not (the
/// test servers speak plain http, where .NET's CookieContainer would keep Secure cookies back).
/// </summary>
public sealed partial class BrowserCookies
{
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    /// <summary>The Set-Cookie headers of every answer seen, as sent.</summary>
    public List<string> SetCookies { get; } = [];

    public string? this[string name] => _cookies.GetValueOrDefault(name);

    public void Take(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return;
        }

        foreach (var header in values)
        {
            SetCookies.Add(header);
            var pair = header.Split(';')[0];
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
            var expired = header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) || value.Length == 0;
            if (expired)
            {
                _cookies.Remove(name);
            }
            else
            {
                _cookies[name] = value;
            }
        }
    }

    public void Remove(string name) => _cookies.Remove(name);

    /// <summary>Sends <paramref name="request"/> with the jar's cookies and keeps the answer's.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        if (_cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        var response = await client.SendAsync(request, completion);
        Take(response);
        return response;
    }

    public Task<HttpResponseMessage> GetAsync(HttpClient client, string url, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return SendAsync(client, request);
    }

    public Task<HttpResponseMessage> PostFormAsync(HttpClient client, string url, IEnumerable<KeyValuePair<string, string>> fields) =>
        SendAsync(client, new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) });

    /// <summary>The first form of an HTML page: its action and its fields with their values.</summary>
    public static (string Action, Dictionary<string, string> Fields) Form(string html)
    {
        var form = FormTag().Match(html);
        var action = WebUtility.HtmlDecode(form.Groups["action"].Value);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in Input().Matches(html[form.Index..]))
        {
            var tag = input.Value;
            var name = Attribute(tag, "name");
            if (name is not null)
            {
                fields[WebUtility.HtmlDecode(name)] = WebUtility.HtmlDecode(Attribute(tag, "value") ?? "");
            }
        }

        return (action, fields);
    }

    private static string? Attribute(string tag, string name) =>
        Regex.Match(tag, $"""\s{name}="(?<v>[^"]*)"|\s{name}='(?<v>[^']*)'|\s{name}=(?<v>[^\s>]+)""") is { Success: true } m ? m.Groups["v"].Value : null;

    [GeneratedRegex("""<form[^>]*action="(?<action>[^"]*)"[^>]*>""", RegexOptions.IgnoreCase)]
    private static partial Regex FormTag();

    [GeneratedRegex("""<(input|button)\b[^>]*>""", RegexOptions.IgnoreCase)]
    private static partial Regex Input();
}
