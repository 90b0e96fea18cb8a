import { Controller, Get } from '@nestjs/common';
import { N32fContextsService, type N32fContextView } from '../prins/n32f-contexts.service';

/** The N32-f (PRINS) contexts of this SEPP: never the keys, only who, which IDs, which suite, how many messages. */
@Controller('admin/contexts')
export class ContextsController {
  constructor(private readonly contexts: N32fContextsService) {}

  @Get()
  list(): { contexts: N32fContextView[] } {
    return { contexts: this.contexts.view() };
  }
}
