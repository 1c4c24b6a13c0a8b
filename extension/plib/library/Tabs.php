<?php
// The admin's two tabs: the panel, and the service's status.
class Modules_Sendtrace_Tabs
{
    public static function admin($active)
    {
        return [
            ['title' => pm_Locale::lmsg('tabOverview'), 'active' => $active === 'overview', 'link' => pm_Context::getActionUrl('index', 'index')],
            ['title' => pm_Locale::lmsg('tabServer'), 'active' => $active === 'server', 'link' => pm_Context::getActionUrl('server', 'index')],
        ];
    }
}
