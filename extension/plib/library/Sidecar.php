<?php
// The one class that talks to the sidecar: signs a request for the logged-in
// Plesk user (docs/signature.md, scheme sendtrace-v1; the shared vectors in
// test/fixtures/signature-vectors.json pin it) and sends it over the unix
// socket, passing the answer — an event stream included — through as it comes.
// No business logic: what the user may see is the sidecar's decision (psa
// ownership), this class only says who is asking.
class Modules_Sendtrace_Sidecar
{
    const SCHEME = 'sendtrace-v1';
    const MAX_BODY = 262144;             // the sidecar's limit (docs/signature.md "Transport")
    const CONNECT_TIMEOUT = 5;
    const READ_TIMEOUT = 330;            // actions may run 300 s (the panel waits that long)
    const STREAM_MAX_SECONDS = 600;      // an event stream holds a PHP worker: give it back every 10 min (EventSource reconnects)
    const STREAM_IDLE_TIMEOUT = 60;      // the sidecar writes a heartbeat every 15 s

    // Each field is checked before signing, as the sidecar checks it before verifying
    // (service/http/auth/signature.ts FORMATS): no field can hold the separator.
    private static $formats = [
        'method' => '~^[A-Z]{1,16}$~',
        'target' => '~^/[\x21-\x7e]{0,4095}$~',
        'timestamp' => '~^[1-9][0-9]{0,11}$~',
        'nonce' => '~^[A-Za-z0-9_-]{16,64}$~',
        'role' => '~^(admin|reseller|client)$~',
        'clientId' => '~^[1-9][0-9]{0,9}$~',
        // At most 765 characters or %XX triples (checked below: PCRE cannot count a group that high).
        'user' => '#^(?:[A-Za-z0-9\-._~!*\'()]|%[0-9A-F]{2})+$#',
    ];

    private $socketPath;
    private $key;

    /** $secretHex: 64 lower-case hex digits (the secret file's content). */
    public function __construct($socketPath, $secretHex)
    {
        if (!preg_match('~^[0-9a-f]{64}$~', $secretHex)) {
            throw new InvalidArgumentException('the sendtrace secret must be 64 lower-case hex digits');
        }
        $this->socketPath = $socketPath;
        $this->key = hex2bin($secretHex);
    }

    /** The sidecar named by /etc/sendtrace/config.json. */
    public static function fromConfig()
    {
        // A broken installation is "not ready" for the page (it retries and says so), not a PHP error page.
        try {
            $config = Modules_Sendtrace_Config::load();
        } catch (Exception $e) {
            throw new Modules_Sendtrace_SidecarUnavailable($e->getMessage());
        }
        $text = @file_get_contents($config['secretFile']);
        if ($text === false) {
            throw new Modules_Sendtrace_SidecarUnavailable('the shared secret ' . $config['secretFile'] . ' cannot be read (is the sendtrace service installed?)');
        }
        try {
            return new self($config['socketPath'], preg_replace('~\n$~', '', $text));
        } catch (InvalidArgumentException $e) {
            throw new Modules_Sendtrace_SidecarUnavailable($config['secretFile'] . ': ' . $e->getMessage());
        }
    }

    /** The sidecar's public /healthz (no signature needed), or null when it does not answer. */
    public static function health($socketPath)
    {
        $socket = @stream_socket_client('unix://' . $socketPath, $errno, $errstr, 2);
        if ($socket === false) {
            return null;
        }
        try {
            fwrite($socket, "GET /healthz HTTP/1.1\r\nHost: sendtrace\r\nConnection: close\r\n\r\n");
            $reader = new Modules_Sendtrace_HttpReader($socket, 5);
            $head = $reader->readHead();
            if ($head === null || $head['status'] !== 200) {
                return null;
            }
            $body = '';
            $reader->readBody($head['headers'], function ($chunk) use (&$body) {
                $body .= $chunk;
                return strlen($body) < 65536;
            });
            $doc = json_decode($body, true);
            return is_array($doc) && isset($doc['status'], $doc['generation'], $doc['uptimeSeconds']) ? $doc : null;
        } catch (Modules_Sendtrace_SidecarUnavailable $e) {
            return null;
        } finally {
            fclose($socket);
        }
    }

    /** The ten lines that are HMAC-ed (docs/signature.md "String to sign"). */
    public static function stringToSign(array $parts)
    {
        $q = strpos($parts['target'], '?');
        return implode("\n", [
            self::SCHEME,
            $parts['method'],
            $q === false ? $parts['target'] : substr($parts['target'], 0, $q),
            $q === false ? '' : substr($parts['target'], $q + 1),
            $parts['contentSha256'],
            $parts['timestamp'],
            $parts['nonce'],
            $parts['role'],
            $parts['clientId'],
            $parts['user'],
        ]);
    }

    /**
     * Every X-Sendtrace-* header of a request by $identity (['login', 'role', 'clientId']).
     * Names in lower case, as in the vectors.
     */
    public function sign($method, $target, $body, array $identity, $timestamp, $nonce)
    {
        $parts = [
            'method' => strtoupper($method),
            'target' => $target,
            'contentSha256' => hash('sha256', $body),
            'timestamp' => (string) $timestamp,
            'nonce' => $nonce,
            'role' => (string) $identity['role'],
            'clientId' => (string) $identity['clientId'],
            'user' => rawurlencode((string) $identity['login']),
        ];
        foreach (self::$formats as $field => $format) {
            if (!preg_match($format, $parts[$field])) {
                throw new InvalidArgumentException("cannot sign: field '$field' is malformed");
            }
        }
        if (strlen($parts['user']) - 2 * substr_count($parts['user'], '%') > 765) {
            throw new InvalidArgumentException("cannot sign: field 'user' is malformed");
        }
        return [
            'x-sendtrace-timestamp' => $parts['timestamp'],
            'x-sendtrace-nonce' => $parts['nonce'],
            'x-sendtrace-user' => $parts['user'],
            'x-sendtrace-role' => $parts['role'],
            'x-sendtrace-client-id' => $parts['clientId'],
            'x-sendtrace-content-sha256' => $parts['contentSha256'],
            'x-sendtrace-signature' => 'v1=' . hash_hmac('sha256', self::stringToSign($parts), $this->key),
        ];
    }

    /**
     * Sends the request, signed now with a fresh nonce, and passes the answer to $sink
     * as it arrives. $headers: the few request headers worth forwarding (accept,
     * content-type, last-event-id), already checked by the caller.
     */
    public function forward($method, $target, $body, array $identity, array $headers, Modules_Sendtrace_Sink $sink)
    {
        $signed = $this->sign($method, $target, $body, $identity, time(), bin2hex(random_bytes(16)));
        $socket = @stream_socket_client('unix://' . $this->socketPath, $errno, $errstr, self::CONNECT_TIMEOUT);
        if ($socket === false) {
            throw new Modules_Sendtrace_SidecarUnavailable("cannot connect to {$this->socketPath}: $errstr");
        }
        try {
            $lines = [strtoupper($method) . " $target HTTP/1.1", 'Host: sendtrace', 'Connection: close', 'User-Agent: sendtrace-plesk-shim'];
            foreach (array_merge($headers, $signed) as $name => $value) {
                $lines[] = "$name: $value";
            }
            if ($body !== '' || $method !== 'GET') {
                $lines[] = 'Content-Length: ' . strlen($body);
            }
            $this->writeAll($socket, implode("\r\n", $lines) . "\r\n\r\n" . $body);
            $this->relay($socket, $sink);
        } finally {
            fclose($socket);
        }
    }

    private function writeAll($socket, $bytes)
    {
        stream_set_timeout($socket, self::READ_TIMEOUT);
        for ($done = 0, $n = strlen($bytes); $done < $n; $done += $wrote) {
            $wrote = fwrite($socket, substr($bytes, $done));
            if ($wrote === false || $wrote === 0) {
                throw new Modules_Sendtrace_SidecarUnavailable('the sidecar closed the connection while the request was sent');
            }
        }
    }

    private function relay($socket, Modules_Sendtrace_Sink $sink)
    {
        $reader = new Modules_Sendtrace_HttpReader($socket, self::READ_TIMEOUT);
        $head = $reader->readHead();
        if ($head === null) {
            throw new Modules_Sendtrace_SidecarUnavailable('the sidecar answered nothing');
        }
        $stream = isset($head['headers']['content-type']) && stripos($head['headers']['content-type'], 'text/event-stream') === 0;
        $sink->status($head['status']);
        // Only what the page needs; never the sidecar's connection or framing headers.
        foreach (['content-type', 'cache-control', 'retry-after'] as $name) {
            if (isset($head['headers'][$name])) {
                $sink->header($name, $head['headers'][$name]);
            }
        }
        if ($stream) {
            // Plesk's web server (sw-cp-server, nginx) must not buffer the stream [I: the nginx header].
            $sink->header('x-accel-buffering', 'no');
            $reader->setTimeout(self::STREAM_IDLE_TIMEOUT);
        }
        $until = time() + self::STREAM_MAX_SECONDS;
        $reader->readBody($head['headers'], function ($chunk) use ($sink, $stream, $until) {
            if (!$sink->body($chunk)) {
                return false;   // the browser went away
            }
            return !$stream || time() < $until;
        });
        $sink->end();
    }
}

