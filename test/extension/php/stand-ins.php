<?php
// STAND-INS for the pm_ classes that Plesk provides to extensions (their
// real interfaces: plesk/pm-api-stubs, reference/plesk.md §5.4–5.5). Only
// what the extension calls, backed by a test-made state file; loaded with
// `php -d auto_prepend_file=…/stand-ins.php`, the way Plesk itself runs
// extension scripts with its SDK prepended (reference/plesk.md §3.5 [V]).
//
// Environment (set by the Node tests):
//   SENDTRACE_TEST_ROOT    temporary root for every fixed system path (becomes SENDTRACE_ROOT)
//   SENDTRACE_STANDIN      JSON file: {
//     "session": null | { "id", "login", "role": admin|reseller|client, "domains": [ids it may access],
//                         "permitted": [domain ids whose plan allows sendtrace] },
//     "baseUrl": "/modules/sendtrace/", "locale": "en-US",
//     "sbinDir": folder of the extension's sbin/ files (callSbin runs them),
//     "plesk": the plesk simulator (pm_Bootstrap::getDbAdapter() queries psa through `plesk db`),
//     "plib": the extension's plib/ to load classes from (default: the repository's) }
if (getenv('SENDTRACE_TEST_ROOT') !== false) {
    define('SENDTRACE_ROOT', getenv('SENDTRACE_TEST_ROOT'));
}

function sendtrace_standin_state()
{
    static $state = null;
    if ($state === null) {
        $file = getenv('SENDTRACE_STANDIN');
        $state = $file === false ? [] : json_decode(file_get_contents($file), true);
    }
    return $state;
}

spl_autoload_register(function ($class) {
    if (strncmp($class, 'Modules_Sendtrace_', 18) !== 0) {
        return;
    }
    $name = substr($class, 18);
    $state = sendtrace_standin_state();
    // The repository's extension/plib, or an installed copy (the lifecycle tests).
    $plib = isset($state['plib']) ? $state['plib'] : dirname(__DIR__, 3) . '/extension/plib';
    foreach (['library', 'hooks'] as $dir) {
        if (is_file("$plib/$dir/$name.php")) {
            require_once "$plib/$dir/$name.php";
            return;
        }
    }
});

class pm_Exception extends Exception
{
}

class pm_Client
{
    private $data;

    public function __construct(array $data)
    {
        $this->data = $data;
    }

    public function isAdmin()
    {
        return $this->data['role'] === 'admin';
    }

    public function isReseller()
    {
        return $this->data['role'] === 'reseller';
    }

    public function isClient()
    {
        return $this->data['role'] === 'client';
    }

    public function getId()
    {
        return $this->data['id'];
    }

    public function getLogin()
    {
        return $this->data['login'];
    }

    public function hasAccessToDomain($domainId)
    {
        return $this->isAdmin() || in_array((int) $domainId, $this->data['domains'], true);
    }

    public function permitted($domainId)
    {
        return in_array((int) $domainId, isset($this->data['permitted']) ? $this->data['permitted'] : [], true);
    }
}

class pm_Session
{
    public static function isExist()
    {
        return !empty(sendtrace_standin_state()['session']);
    }

    public static function getClient()
    {
        if (!self::isExist()) {
            throw new pm_Exception('no session');
        }
        return new pm_Client(sendtrace_standin_state()['session']);
    }
}

class pm_Domain
{
    private $id;

    public function __construct($id)
    {
        $this->id = (int) $id;
    }

    public static function getByDomainId($id)
    {
        return new self($id);
    }

    public static function getDomainsByClient(pm_Client $client, $mainOnly = false)
    {
        $session = sendtrace_standin_state()['session'];
        return array_map(function ($id) {
            return new pm_Domain($id);
        }, $session['domains']);
    }

    public function getId()
    {
        return $this->id;
    }

    /** The plan permission of the session's customer for this domain (the only permission the extension reads). */
    public function hasPermission($name)
    {
        return $name === 'manage_sendtrace' && pm_Session::getClient()->permitted($this->id);
    }
}

class pm_Context
{
    public static function getBaseUrl()
    {
        return sendtrace_standin_state()['baseUrl'];
    }

    public static function getActionUrl($controller, $action = 'index')
    {
        return self::getBaseUrl() . "index.php/$controller/$action";
    }
}

class pm_Locale
{
    public static function getCode()
    {
        return sendtrace_standin_state()['locale'];
    }

    public static function lmsg($key, $params = [])
    {
        return "[$key]";
    }
}

class pm_ApiCli
{
    const RESULT_FULL = 1;

    /** Runs <sbinDir>/<command> with the argv array, as Plesk's mod_wrapper would (as root, no shell). */
    public static function callSbin($command, $args = [], $result = 5, $env = [])
    {
        $path = sendtrace_standin_state()['sbinDir'] . '/' . $command;
        $proc = proc_open(array_merge([$path], $args), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return ['code' => proc_close($proc), 'stdout' => $stdout, 'stderr' => $stderr];
    }
}

/** psa through the plesk simulator's `plesk db` (the project's one Plesk stand-in, DESIGN.md §5). */
class SendtraceStandinDb
{
    public function fetchOne($sql, $bind = [])
    {
        foreach ($bind as $value) {
            if (!is_int($value)) {
                throw new InvalidArgumentException('stand-in: only integer bind values');
            }
            $sql = preg_replace('~\?~', (string) $value, $sql, 1);
        }
        $proc = proc_open([sendtrace_standin_state()['plesk'], 'db', '-N', '-B', '-e', $sql], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        if (proc_close($proc) !== 0) {
            throw new RuntimeException("stand-in db: $err");
        }
        $line = strtok($out, "\n");
        return $line === false ? false : explode("\t", $line)[0];
    }
}

class pm_Bootstrap
{
    public static function getDbAdapter()
    {
        return new SendtraceStandinDb();
    }
}

interface pm_Hook_Interface
{
}

// The constants the extension uses, with the values of plesk/pm-api-stubs (reference/plesk.md §5.4 [V]).
abstract class pm_Hook_CustomButtons implements pm_Hook_Interface
{
    const PLACE_ADMIN_TOOLS_AND_SETTINGS = 5;
    const PLACE_RESELLER_NAVIGATION = 13;
    const PLACE_DOMAIN_PROPERTIES_DYNAMIC = 16;
    const SECTION_ADMIN_TOOLS_MAIL = 'mailButtons';
    const SECTION_NAV_HOSTING = 'hosting';
    const SECTION_DOMAIN_PROPS_DYNAMIC_MAIL = 'mail';

    abstract public function getButtons();
}

abstract class pm_Hook_Permissions implements pm_Hook_Interface
{
    const PLACE_MAIN = 'main';
    const PLACE_ADDITIONAL = 'additional';

    abstract public function getPermissions();
}

abstract class pm_Hook_SystemServices implements pm_Hook_Interface
{
    abstract public function getServices();
}

abstract class pm_SystemService_Service
{
    abstract public function getName();
}

/** Collects a forwarded answer (the browser, for the tests); `stopAfter` ends a stream once that text was seen. */
class SendtraceMemorySink implements Modules_Sendtrace_Sink
{
    public $status = null;
    public $headers = [];
    public $body = '';
    public $ended = false;
    private $stopAfter;

    public function __construct($stopAfter = null)
    {
        $this->stopAfter = $stopAfter;
    }

    public function status($code)
    {
        $this->status = $code;
    }

    public function header($name, $value)
    {
        $this->headers[$name] = $value;
    }

    public function body($chunk)
    {
        $this->body .= $chunk;
        return $this->stopAfter === null || strpos($this->body, $this->stopAfter) === false;
    }

    public function end()
    {
        $this->ended = true;
    }

    public function toArray()
    {
        return ['status' => $this->status, 'headers' => $this->headers, 'body' => $this->body, 'ended' => $this->ended];
    }
}
