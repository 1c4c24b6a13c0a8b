<?php
// Signs a request as the shim does, then changes it before sending it to the
// sidecar's socket: the sidecar must refuse it.
//   php … tamper.php SOCKET SECRET_FILE METHOD TARGET BODY LOGIN ROLE CLIENT_ID WHAT
// WHAT: target (another path is sent) | body (another body is sent) | identity (another client id is sent)
list(, $socket, $secretFile, $method, $target, $body, $login, $role, $clientId, $what) = $argv;
$sidecar = new Modules_Sendtrace_Sidecar($socket, trim(file_get_contents($secretFile)));
$headers = $sidecar->sign($method, $target, $body, ['login' => $login, 'role' => $role, 'clientId' => (int) $clientId], time(), bin2hex(random_bytes(16)));
if ($what === 'target') {
    $target .= (strpos($target, '?') === false ? '?' : '&') . 'offset=1';
} elseif ($what === 'body') {
    $body = str_replace('true', 'false', $body);
} elseif ($what === 'identity') {
    $headers['x-sendtrace-client-id'] = '1';
}
$conn = stream_socket_client("unix://$socket", $errno, $errstr, 5);
$lines = ["$method $target HTTP/1.1", 'Host: sendtrace', 'Connection: close', 'Content-Type: application/json', 'Content-Length: ' . strlen($body)];
foreach ($headers as $k => $v) {
    $lines[] = "$k: $v";
}
fwrite($conn, implode("\r\n", $lines) . "\r\n\r\n" . $body);
$reader = new Modules_Sendtrace_HttpReader($conn, 10);
$head = $reader->readHead();
$text = '';
$reader->readBody($head['headers'], function ($c) use (&$text) {
    $text .= $c;
    return true;
});
echo json_encode(['status' => $head['status'], 'body' => $text], JSON_UNESCAPED_SLASHES);
