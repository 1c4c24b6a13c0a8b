<?php
// What the extension's install scripts do (plib/scripts/*.php call these):
// find Node.js, then let the root helper (sbin/sendtrace-service) set up or
// remove the sidecar's service. Messages go to the script's output, which
// Plesk shows to whoever installs or removes the extension.
class Modules_Sendtrace_Lifecycle
{
    const EXIT_NO_SYSTEMD = 4;

    /** The version upgraded from: post-install.php gets `upgrade <old>` in argv (reference/plesk.md §5.3 [V]). */
    public static function upgradeFrom(array $argv)
    {
        $i = array_search('upgrade', $argv, true);
        return $i !== false && isset($argv[$i + 1]) ? (string) $argv[$i + 1] : null;
    }

    /** pre-install: refuse early, before any file is copied, when there is no usable Node.js. */
    public static function preInstall($print)
    {
        $tooOld = [];
        $node = Modules_Sendtrace_Node::find($tooOld);
        if ($node === null) {
            $print(Modules_Sendtrace_Node::missingMessage($tooOld));
            return 1;
        }
        $print("sendtrace: will run its service with {$node['path']} ({$node['version']})");
        return 0;
    }

    /** post-install, and post-install upgrade <old>: (re)install and (re)start the service; state is never touched. */
    public static function postInstall(array $argv, $print)
    {
        $from = self::upgradeFrom($argv);
        $tooOld = [];
        $node = Modules_Sendtrace_Node::find($tooOld);
        if ($node === null) {
            $print(Modules_Sendtrace_Node::missingMessage($tooOld));
            return 1;
        }
        $r = self::helper(['install', $node['path']], $print);
        if ($r === self::EXIT_NO_SYSTEMD) {
            $print('sendtrace: systemd is not running here, so the service could not be started; the unit file is written (see above).');
            return 1;
        }
        if ($r !== 0) {
            $print('sendtrace: setting up the service failed (see above); run the installation again once that is fixed (it keeps what is already there).');
            return 1;
        }
        $print($from === null
            ? 'sendtrace: installed; the service runs and the panel pages are ready.'
            : "sendtrace: upgraded from $from; the service was restarted with the new version, and its settings, audit log and quarantine were kept.");
        return 0;
    }

    /** pre-uninstall: stop and remove the service; quarantined files and the audit log are kept aside. */
    public static function preUninstall($print)
    {
        $r = self::helper(['uninstall'], $print);
        if ($r !== 0) {
            $print('sendtrace: removing the service failed (see above); uninstall stopped so nothing is left half removed.');
            return 1;
        }
        $print('sendtrace: the service is removed. Quarantined files and the audit log were kept (the "kept:" line above says where); '
            . 'installing sendtrace again brings them back.');
        return 0;
    }

    /** Runs the root helper; prints what it said; returns its exit code. */
    private static function helper(array $args, $print)
    {
        $r = pm_ApiCli::callSbin(Modules_Sendtrace_Config::SBIN_HELPER, $args, pm_ApiCli::RESULT_FULL);
        foreach (['stdout', 'stderr'] as $stream) {
            $text = isset($r[$stream]) ? trim((string) $r[$stream]) : '';
            if ($text !== '') {
                $print($text);
            }
        }
        return isset($r['code']) ? (int) $r['code'] : 1;
    }
}
