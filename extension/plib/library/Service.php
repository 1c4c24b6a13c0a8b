<?php
// The sidecar in Plesk's Services Management (pm_Hook_SystemServices, reference/plesk.md
// §5.6 [V stubs]): start, stop and restart go through the root helper.
class Modules_Sendtrace_Service extends pm_SystemService_Service
{
    public function getName()
    {
        return pm_Locale::lmsg('serviceName');
    }

    public function getId()
    {
        return 'sendtrace';
    }

    public function onStart()
    {
        $this->control('start');
    }

    public function onStop()
    {
        $this->control('stop');
    }

    public function onRestart()
    {
        $this->control('restart');
    }

    public function isInstalled()
    {
        return $this->status()['installed'] === 'yes';
    }

    /** The installer wrote its configuration (the secret beside it is root's and the panel group's). */
    public function isConfigured()
    {
        return is_file(Modules_Sendtrace_Config::systemPath(Modules_Sendtrace_Config::CONFIG_FILE));
    }

    public function isRunning()
    {
        return $this->status()['active'] === 'active';
    }

    /** ['installed' => yes|no, 'active' => systemd's word or unknown, 'systemd' => yes|no] */
    public function status()
    {
        $r = pm_ApiCli::callSbin(Modules_Sendtrace_Config::SBIN_HELPER, ['status'], pm_ApiCli::RESULT_FULL);
        $status = ['installed' => 'no', 'active' => 'unknown', 'systemd' => 'no'];
        if (isset($r['stdout']) && preg_match_all('~\b(installed|active|systemd)=([a-z-]+)~', (string) $r['stdout'], $m, PREG_SET_ORDER)) {
            foreach ($m as $pair) {
                $status[$pair[1]] = $pair[2];
            }
        }
        return $status;
    }

    private function control($what)
    {
        $r = pm_ApiCli::callSbin(Modules_Sendtrace_Config::SBIN_HELPER, [$what], pm_ApiCli::RESULT_FULL);
        if (!isset($r['code']) || (int) $r['code'] !== 0) {
            throw new pm_Exception("sendtrace: $what failed: " . trim((string) (isset($r['stderr']) ? $r['stderr'] : '')));
        }
    }
}
