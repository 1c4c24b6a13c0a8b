<?php
// The page the IndexController renders, for the session of the stand-ins:
//   php … page.php DOMAIN_ID|- TIMEZONE VERSION
// Prints { subscriptionId, refusal, bootstrap, fragment }.
$client = pm_Session::getClient();
list($subscription, $refusal) = Modules_Sendtrace_Page::subscriptionInContext($client, $argv[1] === '-' ? [] : ['site_id' => $argv[1]]);
$base = rtrim(pm_Context::getBaseUrl(), '/');
$bootstrap = Modules_Sendtrace_Page::bootstrap($client, pm_Locale::getCode(), $base . '/index.php', $subscription, $argv[2]);
echo json_encode([
    'subscriptionId' => $subscription,
    'refusal' => $refusal,
    'bootstrap' => $bootstrap,
    'fragment' => Modules_Sendtrace_Page::fragment($bootstrap, $base . '/panel', $argv[3]),
], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
