<?php
// index.php/api/* → the sidecar (Modules_Sendtrace_ApiProxy). Plesk routes the
// first segment after api/ as the action name; every action lands in __call,
// and the request-target is taken from the request line as sent, not from
// Plesk's parsed parameters, because that exact string is what gets signed.
class ApiController extends pm_Controller_Action
{
    protected $_accessLevel = ['admin', 'reseller', 'client'];

    public function indexAction()
    {
        $this->proxy();
    }

    public function __call($method, $args)
    {
        if (substr($method, -6) === 'Action') {
            $this->proxy();
            return;
        }
        parent::__call($method, $args);
    }

    private function proxy()
    {
        $client = pm_Session::isExist() ? pm_Session::getClient() : null;
        $proxy = new Modules_Sendtrace_ApiProxy(function () {
            return Modules_Sendtrace_Sidecar::fromConfig();
        });
        $proxy->handle(
            $_SERVER,
            ['Modules_Sendtrace_ApiProxy', 'readInput'],
            $client,
            rtrim(pm_Context::getBaseUrl(), '/') . '/index.php',
            new Modules_Sendtrace_PhpSink()
        );
        // The answer is complete; Plesk's layout must not be appended to it (ext-syslog-watch does the same [V]).
        exit;
    }
}
