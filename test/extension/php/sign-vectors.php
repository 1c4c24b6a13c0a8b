<?php
// Signs every vector of test/fixtures/signature-vectors.json with the shim's
// signer and prints what it made: [{ name, headers, stringToSign }].
$doc = json_decode(file_get_contents($argv[1]), true);
$sidecar = new Modules_Sendtrace_Sidecar('/nonexistent.sock', $doc['secretHex']);
$out = [];
foreach ($doc['vectors'] as $v) {
    $headers = $sidecar->sign($v['method'], $v['target'], $v['body'], $v['identity'], $v['timestamp'], $v['nonce']);
    $out[] = [
        'name' => $v['name'],
        'headers' => $headers,
        'stringToSign' => Modules_Sendtrace_Sidecar::stringToSign([
            'method' => $v['method'], 'target' => $v['target'], 'contentSha256' => $headers['x-sendtrace-content-sha256'],
            'timestamp' => $headers['x-sendtrace-timestamp'], 'nonce' => $headers['x-sendtrace-nonce'], 'role' => $headers['x-sendtrace-role'],
            'clientId' => $headers['x-sendtrace-client-id'], 'user' => $headers['x-sendtrace-user'],
        ]),
    ];
}
echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
