<?php
// The panel's page (index.php/index/index): checks that the session may open
// the subscription in context, then renders the shell that loads the Preact
// panel (Modules_Sendtrace_Page). The admin also gets a tab with the service's
// status (ServerController).
class IndexController extends pm_Controller_Action
{
    protected $_accessLevel = ['admin', 'reseller', 'client'];

    public function init()
    {
        parent::init();
        $this->view->pageTitle = $this->lmsg('pageTitle');
        if (pm_Session::getClient()->isAdmin()) {
            $this->view->tabs = Modules_Sendtrace_Tabs::admin('overview');
        }
    }

    public function indexAction()
    {
        $client = pm_Session::getClient();
        list($subscriptionId, $refusal) = Modules_Sendtrace_Page::subscriptionInContext($client, $this->getRequest()->getParams());
        if ($refusal !== null) {
            throw new pm_Exception($this->lmsg($refusal));
        }
        $base = rtrim(pm_Context::getBaseUrl(), '/');
        $bootstrap = Modules_Sendtrace_Page::bootstrap($client, pm_Locale::getCode(), $base . '/index.php', $subscriptionId, Modules_Sendtrace_Config::timezone());
        $this->view->fragment = Modules_Sendtrace_Page::fragment($bootstrap, $base . '/panel', Modules_Sendtrace_Page::assetVersion());
    }
}
