<?php
// One request through the shim's /api proxy (Modules_Sendtrace_ApiProxy), as
// the ApiController runs it, with the answer collected instead of sent:
//   php -d auto_prepend_file=stand-ins.php proxy.php REQUEST.json
// REQUEST: { "server": {$_SERVER entries}, "body": "…", "stopAfter": text ending a stream }
// Prints { status, headers, body, ended, connected } (connected: whether a sidecar was asked).
$request = json_decode(file_get_contents($argv[1]), true);
$connected = false;
$proxy = new Modules_Sendtrace_ApiProxy(function () use (&$connected) {
    $connected = true;
    return Modules_Sendtrace_Sidecar::fromConfig();
});
$sink = new SendtraceMemorySink(isset($request['stopAfter']) ? $request['stopAfter'] : null);
$body = isset($request['body']) ? $request['body'] : '';
$proxy->handle(
    $request['server'],
    function ($max) use ($body) {
        return strlen($body) > $max ? null : $body;
    },
    pm_Session::isExist() ? pm_Session::getClient() : null,
    rtrim(pm_Context::getBaseUrl(), '/') . '/index.php',
    $sink
);
echo json_encode($sink->toArray() + ['connected' => $connected], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
