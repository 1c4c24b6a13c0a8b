<?php
// Where the sidecar is: the socket, the shared secret, the server's time zone.
// The installer (sbin/sendtrace-service) writes /etc/sendtrace/config.json,
// the same file the sidecar reads (CONTRACT.md "Config file"); this class reads
// the two keys the panel needs from it and falls back to the sidecar's
// defaults (service/config.ts PLESK_DEFAULTS).
class Modules_Sendtrace_Config
{
    const CONFIG_FILE = '/etc/sendtrace/config.json';
    const DEFAULT_SOCKET = '/run/sendtrace/sendtrace.sock';
    const DEFAULT_SECRET = '/etc/sendtrace/api-secret';
    const UNIT = 'plesk-ext-sendtrace.service';
    const KEPT_DIR = '/var/lib/sendtrace-kept';
    const SBIN_HELPER = 'sendtrace-service';
    const PERMISSION = 'manage_sendtrace';

    /**
     * A prefix for every fixed system path. Empty on a server; the tests define
     * SENDTRACE_ROOT (a PHP constant, so no request or environment can set it).
     */
    public static function root()
    {
        return defined('SENDTRACE_ROOT') ? rtrim((string) SENDTRACE_ROOT, '/') : '';
    }

    public static function systemPath($path)
    {
        return self::root() . $path;
    }

    /** ['socketPath' => …, 'secretFile' => …, 'timezone' => …|null] */
    public static function load()
    {
        $values = ['socketPath' => self::DEFAULT_SOCKET, 'secretFile' => self::DEFAULT_SECRET, 'timezone' => null];
        $file = self::systemPath(self::CONFIG_FILE);
        if (!is_file($file)) {
            return $values;
        }
        $raw = json_decode((string) file_get_contents($file), true);
        if (!is_array($raw)) {
            throw new pm_Exception("sendtrace: $file is not valid JSON");
        }
        // Only absolute paths: relative ones are anchored by the sidecar to the file's folder, and
        // the installer never writes them; anything else falls back to the default rather than guess.
        foreach (['socketPath', 'secretFile'] as $key) {
            if (isset($raw[$key]) && is_string($raw[$key]) && strpos($raw[$key], '/') === 0) {
                $values[$key] = $raw[$key];
            }
        }
        if (isset($raw['timezone']) && is_string($raw['timezone']) && preg_match('~^[A-Za-z0-9_+/-]{1,64}$~', $raw['timezone'])) {
            $values['timezone'] = $raw['timezone'];
        }
        return $values;
    }

    /** The sidecar's state folder as the config names it (CONTRACT.md default otherwise). */
    public static function stateDir()
    {
        $file = self::systemPath(self::CONFIG_FILE);
        $raw = is_readable($file) ? json_decode((string) file_get_contents($file), true) : null;
        return is_array($raw) && isset($raw['stateDir']) && is_string($raw['stateDir']) && strpos($raw['stateDir'], '/') === 0
            ? $raw['stateDir']
            : '/usr/local/psa/var/modules/sendtrace';
    }

    /** The server's IANA zone: the config's, else /etc/localtime's target, else PHP's default. */
    public static function timezone()
    {
        $config = self::load();
        if ($config['timezone'] !== null) {
            return $config['timezone'];
        }
        $link = @readlink(self::systemPath('/etc/localtime'));
        if (is_string($link) && preg_match('~zoneinfo/(?:posix/|right/)?([A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*)$~', $link, $m)) {
            return $m[1];
        }
        return date_default_timezone_get();
    }
}
