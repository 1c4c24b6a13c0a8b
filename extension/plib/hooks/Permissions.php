<?php
// A service-plan permission (reference/plesk.md §5.4 [V stubs]; ids only letters,
// digits and _ [V]): a provider can switch sendtrace off for the customers of a
// plan. On by default. Admin and resellers are not bound by it.
class Modules_Sendtrace_Permissions extends pm_Hook_Permissions
{
    public function getPermissions()
    {
        return [
            Modules_Sendtrace_Config::PERMISSION => [
                'default' => true,
                'place' => self::PLACE_MAIN,
                'name' => pm_Locale::lmsg('permissionName'),
                'description' => pm_Locale::lmsg('permissionDescription'),
            ],
        ];
    }
}
