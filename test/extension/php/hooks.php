<?php
// What the hooks give Plesk: buttons (with the subscription button's visibility
// for the given domains), permissions, and with --services the services and
// their status (which runs the root helper).
//   php … hooks.php [--services] DOMAIN_ID…
$args = array_slice($argv, 1);
$withServices = isset($args[0]) && $args[0] === '--services';
if ($withServices) {
    array_shift($args);
}
$buttons = (new Modules_Sendtrace_CustomButtons())->getButtons();
$visible = [];
foreach ($args as $domainId) {
    $visible[$domainId] = call_user_func($buttons[0]['visibility'], ['site_id' => $domainId]);
}
$services = [];
if ($withServices) {
    foreach ((new Modules_Sendtrace_SystemServices())->getServices() as $service) {
        $services[] = ['id' => $service->getId(), 'name' => $service->getName(), 'installed' => $service->isInstalled(), 'running' => $service->isRunning(), 'configured' => $service->isConfigured()];
    }
}
echo json_encode([
    'buttons' => array_map(function ($b) {
        unset($b['visibility']);
        return $b;
    }, $buttons),
    'visible' => (object) $visible,
    'permissions' => (new Modules_Sendtrace_Permissions())->getPermissions(),
    'services' => $services,
], JSON_UNESCAPED_SLASHES);
