using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Model;

/// <summary>
/// The gateway signs as the reference <c>standardwebhooks</c> libraries do: their published test vector and their
/// verification scenarios (libraries/javascript/src/webhook.test.ts and the C# port), ported here.
/// </summary>
public sealed class WebhookSignatureTests
{
    private const string ReferenceSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string ReferenceMessageId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long ReferenceTimestamp = 1614265330;
    private const string ReferencePayload = "{\"test\": 2432232314}";
    private const string ReferenceSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [Fact]
    public void Signs_the_reference_vector_exactly()
    {
        Assert.Equal(ReferenceSignature, WebhookSignature.Sign(ReferenceSecret, ReferenceMessageId, ReferenceTimestamp, ReferencePayload));
    }

    [Fact]
    public void Signs_the_same_with_and_without_the_whsec_prefix()
    {
        Assert.Equal(ReferenceSignature, WebhookSignature.Sign(ReferenceSecret["whsec_".Length..], ReferenceMessageId, ReferenceTimestamp, ReferencePayload));
    }

    [Fact]
    public void The_reference_vector_verifies_with_the_ported_verifier()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(ReferenceTimestamp);
        Assert.True(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, $"{ReferenceTimestamp}", ReferenceSignature, ReferencePayload, at));
    }

    [Fact]
    public void A_header_with_several_signatures_verifies_when_one_matches()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var valid = WebhookSignature.Sign(ReferenceSecret, ReferenceMessageId, now, ReferencePayload);
        var header = string.Join(' ', "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", valid,
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=");

        Assert.True(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, $"{now}", header, ReferencePayload));
    }

    [Theory]
    [InlineData("v1,dawfeoifkpqwoekfpqoekf")]
    [InlineData("v1,")]
    [InlineData("v1,g0hM9SsE")]
    [InlineData("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    public void Invalid_or_partial_signatures_do_not_verify(string signature)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(ReferenceTimestamp);
        Assert.False(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, $"{ReferenceTimestamp}", signature, ReferencePayload, at));
    }

    [Fact]
    public void Old_new_and_missing_timestamps_and_a_changed_body_do_not_verify()
    {
        var now = DateTimeOffset.UtcNow;
        string Signed(DateTimeOffset at) => WebhookSignature.Sign(ReferenceSecret, ReferenceMessageId, at.ToUnixTimeSeconds(), ReferencePayload);
        var old = now - StandardWebhooksVerifier.Tolerance - TimeSpan.FromSeconds(1);
        var future = now + StandardWebhooksVerifier.Tolerance + TimeSpan.FromSeconds(1);

        Assert.False(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, $"{old.ToUnixTimeSeconds()}", Signed(old), ReferencePayload));
        Assert.False(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, $"{future.ToUnixTimeSeconds()}", Signed(future), ReferencePayload));
        Assert.False(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, "hello", Signed(now), ReferencePayload));
        Assert.False(StandardWebhooksVerifier.Verify(ReferenceSecret, null, $"{now.ToUnixTimeSeconds()}", Signed(now), ReferencePayload));
        Assert.False(StandardWebhooksVerifier.Verify(ReferenceSecret, ReferenceMessageId, $"{now.ToUnixTimeSeconds()}", Signed(now), "{\"test\": 2432232315}"));
    }

    [Fact]
    public void The_header_carries_one_signature_per_secret_and_each_verifies_alone()
    {
        var (current, previous) = (WebhookSignature.NewSecret(), WebhookSignature.NewSecret());
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = WebhookSignature.Header([current, previous], "msg_1", now, "{}");

        Assert.Equal(2, header.Split(' ').Length);
        Assert.All(header.Split(' '), s => Assert.StartsWith("v1,", s, StringComparison.Ordinal));
        Assert.True(StandardWebhooksVerifier.Verify(current, "msg_1", $"{now}", header, "{}"));
        Assert.True(StandardWebhooksVerifier.Verify(previous, "msg_1", $"{now}", header, "{}"));
        Assert.False(StandardWebhooksVerifier.Verify(WebhookSignature.NewSecret(), "msg_1", $"{now}", header, "{}"));
    }

    [Fact]
    public void New_secrets_are_whsec_and_32_random_bytes()
    {
        var secret = WebhookSignature.NewSecret();

        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.NotEqual(secret, WebhookSignature.NewSecret());
    }
}
