declare global {
  namespace App {
    interface Error {
      code?: string;
    }
    interface Locals {
      locale: import("$lib/locale").Locale;
    }
  }
}

export {};
