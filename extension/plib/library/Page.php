<?php
// The page that loads the panel: a mount point, the bootstrap as JSON and the
// bundle — the same shell as frontend/page.ts renderPanelFragment (docs/panel.md),
// byte for byte for the same bootstrap (test/extension checks it), embedded in
// Plesk's own layout (which supplies the CSRF meta the page reads).
class Modules_Sendtrace_Page
{
    const CSRF = ['header' => 'X-Forgery-Protection-Token', 'meta' => 'forgery_protection_token'];

    /**
     * The subscription the page is opened for (from the domain in context, see
     * Modules_Sendtrace_Context), and whether this user may open the page at all:
     * [subscription id or null, null or the locale key of the refusal].
     */
    public static function subscriptionInContext(pm_Client $client, array $params)
    {
        $domainId = Modules_Sendtrace_Context::domainIdOf($params);
        if ($domainId === null) {
            return [null, Modules_Sendtrace_Access::mayUseAny($client) ? null : 'notInPlan'];
        }
        $subscriptionId = Modules_Sendtrace_Access::subscriptionOfDomain($domainId);
        if ($subscriptionId === null || !Modules_Sendtrace_Access::mayUseSubscription($client, $subscriptionId)) {
            return [null, 'noAccess'];
        }
        return [$subscriptionId, null];
    }

    /**
     * What the page needs to know: the user's locale and role, where /api is, the
     * subscription in context (if any) and the server's zone.
     */
    public static function bootstrap(pm_Client $client, $locale, $apiBase, $subscriptionId, $timezone)
    {
        $identity = Modules_Sendtrace_Access::identityOf($client);
        $b = ['locale' => (string) $locale, 'role' => $identity['role'], 'baseUrl' => (string) $apiBase];
        if ($subscriptionId !== null) {
            $b['subscriptionId'] = (int) $subscriptionId;
        }
        $b['timezone'] = (string) $timezone;
        $b['csrf'] = self::CSRF;
        return $b;
    }

    /** "<version>-<release>" of this package (written by the build), for the assets' cache-busting query. */
    public static function assetVersion()
    {
        $raw = @file_get_contents(__DIR__ . '/../resources/build.json');
        $build = $raw === false ? null : json_decode($raw, true);
        return is_array($build) && isset($build['version'], $build['release']) ? $build['version'] . '-' . $build['release'] : '';
    }

    /** JSON that is safe inside <script>: no `</script>`, no `<!--`, no line separators (frontend/page.ts scriptJson). */
    public static function scriptJson($value)
    {
        $json = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($json === false) {
            throw new InvalidArgumentException('the bootstrap cannot be encoded as JSON');
        }
        return str_replace(['<', '>', '&', "\u{2028}", "\u{2029}"], ['\u003c', '\u003e', '\u0026', '\u2028', '\u2029'], $json);
    }

    private static function attr($s)
    {
        return str_replace(['&', '"', '<', '>'], ['&amp;', '&quot;', '&lt;', '&gt;'], $s);
    }

    /** The fragment Plesk's view embeds: stylesheet, mount point, bootstrap, script. */
    public static function fragment(array $bootstrap, $assetBase, $version = null)
    {
        $v = $version === null || $version === '' ? '' : '?v=' . rawurlencode($version);
        $base = rtrim($assetBase, '/');
        return implode("\n", [
            '<link rel="stylesheet" href="' . self::attr("$base/app.css$v") . '">',
            '<div id="sendtrace-root"></div>',
            '<script type="application/json" id="sendtrace-bootstrap">' . self::scriptJson($bootstrap) . '</script>',
            '<script src="' . self::attr("$base/app.js$v") . '" defer></script>',
        ]);
    }
}
