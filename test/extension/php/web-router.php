<?php
// A router for PHP's built-in web server (php -S): what the ApiController does
// for index.php/api/*, minus Plesk's MVC, so the proxy's real output path
// (Modules_Sendtrace_PhpSink: http_response_code, header, echo + flush) is
// exercised by a real HTTP client. (php -S does not apply auto_prepend_file
// to its router, so the stand-ins are loaded here.)
require_once __DIR__ . '/stand-ins.php';
$proxy = new Modules_Sendtrace_ApiProxy(function () {
    return Modules_Sendtrace_Sidecar::fromConfig();
});
$proxy->handle(
    $_SERVER,
    ['Modules_Sendtrace_ApiProxy', 'readInput'],
    pm_Session::isExist() ? pm_Session::getClient() : null,
    rtrim(pm_Context::getBaseUrl(), '/') . '/index.php',
    new Modules_Sendtrace_PhpSink()
);
