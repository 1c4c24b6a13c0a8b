<?php
// Where sendtrace appears in the panel (DESIGN.md §2; places and sections are
// constants of pm_Hook_CustomButtons, reference/plesk.md §5.4 [V stubs]):
// - customers, resellers, admin: a button on the subscription's page
//   (dynamic domain properties, mail section, Plesk 18.0+);
// - the admin: Tools & Settings → Mail;
// - resellers: their navigation.
class Modules_Sendtrace_CustomButtons extends pm_Hook_CustomButtons
{
    public function getButtons()
    {
        $icon = pm_Context::getBaseUrl() . 'images/sendtrace-32.png';
        return [
            [
                'place' => self::PLACE_DOMAIN_PROPERTIES_DYNAMIC,
                'section' => self::SECTION_DOMAIN_PROPS_DYNAMIC_MAIL,
                'title' => pm_Locale::lmsg('buttonSubscription'),
                'description' => pm_Locale::lmsg('buttonSubscriptionDescription'),
                'icon' => $icon,
                'link' => pm_Context::getActionUrl('index', 'index'),
                // Plesk appends the domain in context [I: the name site_id, seen in third-party
                // extensions' visibility callbacks and controllers; dom_id is read as well].
                'contextParams' => true,
                'visibility' => [$this, 'isSubscriptionButtonVisible'],
            ],
            [
                'place' => self::PLACE_ADMIN_TOOLS_AND_SETTINGS,
                'section' => self::SECTION_ADMIN_TOOLS_MAIL,
                'title' => pm_Locale::lmsg('buttonAdmin'),
                'description' => pm_Locale::lmsg('buttonAdminDescription'),
                'icon' => $icon,
                'link' => pm_Context::getActionUrl('index', 'index'),
            ],
            [
                'place' => self::PLACE_RESELLER_NAVIGATION,
                'section' => self::SECTION_NAV_HOSTING,
                'title' => pm_Locale::lmsg('buttonReseller'),
                'description' => pm_Locale::lmsg('buttonAdminDescription'),
                'icon' => $icon,
                'link' => pm_Context::getActionUrl('index', 'index'),
            ],
        ];
    }

    /** Shown when the session may open that subscription (and, for a customer, its plan allows it). */
    public function isSubscriptionButtonVisible($options)
    {
        $domainId = Modules_Sendtrace_Context::domainIdOf(is_array($options) ? $options : []);
        if ($domainId === null) {
            return false;
        }
        $subscriptionId = Modules_Sendtrace_Access::subscriptionOfDomain($domainId);
        return $subscriptionId !== null && Modules_Sendtrace_Access::mayUseSubscription(pm_Session::getClient(), $subscriptionId);
    }
}
