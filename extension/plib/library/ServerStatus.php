<?php
// What the admin's "Service" tab lists: [label, value] rows. Reads only: the
// root helper's status, the sidecar's public /healthz, and the config file.
class Modules_Sendtrace_ServerStatus
{
    /** $lmsg: callable(key, params) → translated text. */
    public static function rows(Modules_Sendtrace_Service $service, $lmsg)
    {
        $status = $service->status();
        $config = Modules_Sendtrace_Config::load();
        $state = Modules_Sendtrace_Config::stateDir();
        $health = Modules_Sendtrace_Sidecar::health($config['socketPath']);
        return [
            [$lmsg('statusUnit'), Modules_Sendtrace_Config::UNIT],
            [$lmsg('statusInstalled'), $status['installed']],
            [$lmsg('statusActive'), $status['systemd'] === 'yes' ? $status['active'] : $lmsg('statusNoSystemd')],
            [$lmsg('statusHealth'), $health === null ? $lmsg('statusNoAnswer') : $lmsg('statusHealthValue', ['status' => $health['status'], 'generation' => $health['generation'], 'uptime' => (int) $health['uptimeSeconds']])],
            [$lmsg('statusVersion'), Modules_Sendtrace_Page::assetVersion()],
            [$lmsg('statusConfig'), Modules_Sendtrace_Config::CONFIG_FILE],
            [$lmsg('statusSocket'), $config['socketPath']],
            [$lmsg('statusState'), $state],
            [$lmsg('statusQuarantine'), $state . '/quarantine'],
            [$lmsg('statusAudit'), $state . '/audit.log'],
            [$lmsg('statusKept'), Modules_Sendtrace_Config::KEPT_DIR],
        ];
    }
}
