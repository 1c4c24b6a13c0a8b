<?php
// Finds the Node.js that runs the sidecar: Plesk's Node.js toolkit first
// (/opt/plesk/node/<major>/bin/node, reference/plesk.md §5.6 [V]; the newest
// major wins), else the system's. The root helper checks the chosen path again
// (allow-list, root-owned, version) before a unit ever runs it.
class Modules_Sendtrace_Node
{
    const MIN_MAJOR = 20;

    /** Paths to try, best first (as on the server: without the test root). */
    public static function candidates()
    {
        $root = Modules_Sendtrace_Config::root();
        $plesk = [];
        foreach (glob($root . '/opt/plesk/node/*/bin/node') ?: [] as $path) {
            if (preg_match('~/opt/plesk/node/([0-9]{1,2})/bin/node$~', $path, $m)) {
                $plesk[(int) $m[1]] = substr($path, strlen($root));
            }
        }
        krsort($plesk);
        return array_merge(array_values($plesk), ['/usr/bin/node', '/usr/local/bin/node']);
    }

    /** 'v20.11.1', or null when it does not run. */
    public static function versionOf($path)
    {
        $file = Modules_Sendtrace_Config::root() . $path;
        if (!is_file($file) || !is_executable($file)) {
            return null;
        }
        $proc = proc_open([$file, '--version'], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($proc)) {
            return null;
        }
        $out = trim((string) stream_get_contents($pipes[1]));
        fclose($pipes[1]);
        fclose($pipes[2]);
        $code = proc_close($proc);
        return $code === 0 && preg_match('~^v[0-9]+\.[0-9]+\.[0-9]+~', $out) ? $out : null;
    }

    /**
     * ['path', 'version'] of the first candidate at MIN_MAJOR or later, or null; $tooOld
     * receives "path (version)" of those that run but are older.
     */
    public static function find(&$tooOld = [])
    {
        $tooOld = [];
        foreach (self::candidates() as $path) {
            $version = self::versionOf($path);
            if ($version === null) {
                continue;
            }
            if ((int) substr($version, 1) >= self::MIN_MAJOR) {
                return ['path' => $path, 'version' => $version];
            }
            $tooOld[] = "$path ($version)";
        }
        return null;
    }

    /** What to tell the admin when there is none. */
    public static function missingMessage(array $tooOld)
    {
        $lines = ['sendtrace needs Node.js ' . self::MIN_MAJOR . ' or later to run its service, and none was found.'];
        if ($tooOld) {
            $lines[] = 'Found, but too old: ' . implode(', ', $tooOld) . '.';
        }
        // The component name and the installer's options are [I] (reference/plesk.md §5.6: the toolkit's nodes are [V]).
        $lines[] = "Install Plesk's Node.js support (component \"nodejs\", which brings /opt/plesk/node/<version>) with version "
            . self::MIN_MAJOR . ' or later: in Tools & Settings > Updates > Add/Remove Components, or on the command line: '
            . 'plesk installer --select-release-current --install-component nodejs';
        $lines[] = 'Then install sendtrace again. (Looked in /opt/plesk/node/*/bin/node, /usr/bin/node, /usr/local/bin/node.)';
        return implode("\n", $lines);
    }
}
