<?php
// The shim's /api/* proxy: the panel session decides who is asking, the
// checks below decide whether the request may leave PHP at all, and the
// sidecar (signed identity) decides the rest. Answers of its own use the
// sidecar's error shape ({"error":{"code","message"}}) so the page explains
// them like any other.
class Modules_Sendtrace_ApiProxy
{
    const CSRF_HEADER = 'HTTP_X_FORGERY_PROTECTION_TOKEN';

    private $sidecarFactory;

    /** $sidecarFactory: callable returning a Modules_Sendtrace_Sidecar (lazily: a refusal needs none). */
    public function __construct($sidecarFactory)
    {
        $this->sidecarFactory = $sidecarFactory;
    }

    /**
     * Handles one request. $server: $_SERVER; $readBody: callable(int $max) → string|null (null: over $max);
     * $client: the session's pm_Client or null without a session; $base: the URL prefix of /api
     * (…/modules/sendtrace/index.php).
     */
    public function handle(array $server, $readBody, $client, $base, Modules_Sendtrace_Sink $sink)
    {
        $method = isset($server['REQUEST_METHOD']) ? strtoupper($server['REQUEST_METHOD']) : 'GET';
        if ($client === null) {
            return $this->refuse($sink, 401, 'SENDTRACE_ERR_UNAUTHENTICATED', 'Request refused: there is no Plesk session (log in again)');
        }
        if (!in_array($method, ['GET', 'POST', 'PUT'], true)) {
            return $this->refuse($sink, 405, 'SENDTRACE_ERR_INVALID_REQUEST', "Invalid request: method $method is not used by this API");
        }
        $target = $this->targetOf(isset($server['REQUEST_URI']) ? (string) $server['REQUEST_URI'] : '', $base);
        if ($target === null) {
            return $this->refuse($sink, 404, 'SENDTRACE_ERR_NOT_FOUND', 'Not found: no such API path');
        }
        $headers = ['accept' => 'application/json'];
        $body = '';
        if ($method !== 'GET') {
            $refusal = $this->csrfRefusal($server);
            if ($refusal !== null) {
                return $this->refuse($sink, $refusal[0], $refusal[1], $refusal[2]);
            }
            $body = call_user_func($readBody, Modules_Sendtrace_Sidecar::MAX_BODY);
            if ($body === null) {
                return $this->refuse($sink, 413, 'SENDTRACE_ERR_TOO_LARGE', 'Request too large: the body is over 256 KiB');
            }
            $headers['content-type'] = 'application/json';
        }
        if (isset($server['HTTP_ACCEPT']) && stripos($server['HTTP_ACCEPT'], 'text/event-stream') !== false) {
            $headers['accept'] = 'text/event-stream';
        }
        if (isset($server['HTTP_LAST_EVENT_ID']) && preg_match('~^[0-9]{1,15}$~', $server['HTTP_LAST_EVENT_ID'])) {
            $headers['last-event-id'] = $server['HTTP_LAST_EVENT_ID'];
        }

        $subscriptionId = Modules_Sendtrace_Access::subscriptionInTarget($target);
        $allowed = $subscriptionId === null
            ? Modules_Sendtrace_Access::mayUseAny($client)
            : Modules_Sendtrace_Access::mayUseSubscription($client, $subscriptionId);
        if (!$allowed) {
            // Like the sidecar: what the session may not see looks exactly like what does not exist.
            return $subscriptionId === null
                ? $this->refuse($sink, 403, 'SENDTRACE_ERR_FORBIDDEN', 'Not allowed: the hosting plan does not include sendtrace')
                : $this->refuse($sink, 404, 'SENDTRACE_ERR_NOT_FOUND', "Subscription not found: $subscriptionId");
        }
        $identity = Modules_Sendtrace_Access::identityOf($client);

        // The panel's session lock must not be held for the length of an action or an event
        // stream: every other page of this user would wait for it [I: Plesk uses PHP sessions].
        if (function_exists('session_status') && session_status() === PHP_SESSION_ACTIVE) {
            session_write_close();
        }
        $watch = new Modules_Sendtrace_StartedSink($sink);
        try {
            $sidecar = call_user_func($this->sidecarFactory);
            $sidecar->forward($method, $target, $body, $identity, $headers, $watch);
        } catch (Modules_Sendtrace_SidecarUnavailable $e) {
            if ($watch->started()) {
                $sink->end();   // mid-answer: the page sees a cut stream and retries
                return;
            }
            $this->refuse($sink, 503, 'SENDTRACE_ERR_NOT_READY', 'Not ready yet: the sendtrace service does not answer (' . $e->getMessage() . ')', '30');
        }
    }

    /** The request body, or null when it is over $max bytes. */
    public static function readInput($max)
    {
        $in = fopen('php://input', 'rb');
        $body = $in === false ? '' : (string) stream_get_contents($in, $max + 1);
        if ($in !== false) {
            fclose($in);
        }
        return strlen($body) > $max ? null : $body;
    }

    /** The request-target for the sidecar: what follows $base, exactly as the browser sent it; null if it is not an API path. */
    public function targetOf($requestUri, $base)
    {
        $base = rtrim($base, '/');
        if (strncmp($requestUri, $base . '/api/', strlen($base) + 5) !== 0) {
            return null;
        }
        $target = substr($requestUri, strlen($base));
        // Printable ASCII only (the signature's format), no fragment, and no dot segments:
        // the path the sidecar routes is the one the panel checked.
        if (!preg_match('~^/api/[\x21-\x7e]{0,4090}$~', $target) || strpos($target, '#') !== false) {
            return null;
        }
        $q = strpos($target, '?');
        $path = $q === false ? $target : substr($target, 0, $q);
        if (preg_match('~(^|/)\.{1,2}(/|$)~', $path) || strpos($path, '//') !== false || stripos($path, '%2e') !== false || stripos($path, '%2f') !== false) {
            return null;
        }
        return $target;
    }

    /**
     * A change must carry Plesk's CSRF token (the page sends it from Plesk's
     * forgery_protection_token meta in X-Forgery-Protection-Token). Plesk checks its value
     * on POSTs to extension controllers [I: third-party clients of /modules/…/index.php/api/…
     * fail without it]; here every change must at least carry it, be JSON, and not come from
     * another site — a cross-site page can send none of these without a CORS preflight,
     * which the panel never grants. [V: Plesk pages carry <meta name="forgery_protection_token">]
     */
    private function csrfRefusal(array $server)
    {
        if (!isset($server[self::CSRF_HEADER]) || !preg_match('~^[A-Za-z0-9_-]{16,128}$~', $server[self::CSRF_HEADER])) {
            return [403, 'SENDTRACE_ERR_FORBIDDEN', "Not allowed: the request lacks the panel's CSRF token (reload the page)"];
        }
        if (isset($server['HTTP_SEC_FETCH_SITE']) && !in_array($server['HTTP_SEC_FETCH_SITE'], ['same-origin', 'none'], true)) {
            return [403, 'SENDTRACE_ERR_FORBIDDEN', 'Not allowed: the request comes from another site'];
        }
        if (isset($server['HTTP_ORIGIN'], $server['HTTP_HOST'])) {
            $originHost = (string) parse_url($server['HTTP_ORIGIN'], PHP_URL_HOST);
            $host = preg_replace('~:[0-9]+$~', '', $server['HTTP_HOST']);
            if (strcasecmp($originHost, $host) !== 0) {
                return [403, 'SENDTRACE_ERR_FORBIDDEN', 'Not allowed: the request comes from another site'];
            }
        }
        $type = isset($server['CONTENT_TYPE']) ? $server['CONTENT_TYPE'] : (isset($server['HTTP_CONTENT_TYPE']) ? $server['HTTP_CONTENT_TYPE'] : '');
        if (!preg_match('~^application/json\s*(;|$)~i', $type)) {
            return [415, 'SENDTRACE_ERR_MEDIA_TYPE', 'Unsupported content type: the body must be application/json'];
        }
        return null;
    }

    private function refuse(Modules_Sendtrace_Sink $sink, $status, $code, $message, $retryAfter = null)
    {
        $sink->status($status);
        $sink->header('content-type', 'application/json; charset=utf-8');
        $sink->header('cache-control', 'no-store');
        if ($retryAfter !== null) {
            $sink->header('retry-after', $retryAfter);
        }
        $sink->body(json_encode(['error' => ['code' => $code, 'message' => $message]], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
        $sink->end();
    }
}
