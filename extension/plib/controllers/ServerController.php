<?php
// Tools & Settings → Mail → sendtrace → "Service" tab (admin only): is the
// sidecar installed and running, where its files are. Start, stop and restart
// are in Services Management (the SystemServices hook).
class ServerController extends pm_Controller_Action
{
    protected $_accessLevel = 'admin';

    public function init()
    {
        parent::init();
        $this->view->pageTitle = $this->lmsg('pageTitle');
        $this->view->tabs = Modules_Sendtrace_Tabs::admin('server');
    }

    public function indexAction()
    {
        $this->view->rows = Modules_Sendtrace_ServerStatus::rows(new Modules_Sendtrace_Service(), function ($key, $params = []) {
            return $this->lmsg($key, $params);
        });
    }
}
